import { connect } from 'node:net';

import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';

import { basicAuth, listeningUrl, postForm, registerClient } from '../helpers/oauth-fixtures.ts';
import { waitFor } from '../helpers/tessera-process.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/**
 * A token request the lean path does not serve reaches oidc-provider with its body already read
 * (lib/shared/selective_body.js takes `req.body`), which oidc-provider notices once per process
 * on console.warn as if an upstream body parser were in use. Tessera acknowledges that notice at
 * start-up (lean-provider-routes.ts), so operators never see it; this file runs in its own
 * process, so nothing else gave the notice before. A client that leaves before its body is
 * complete ends its request quietly (provider-fast-path.ts), never through the bare-500 path.
 */
describe('token request bodies read by the fast path', () => {
  let t: TestTessera;
  let warn: MockInstance<typeof console.warn>;

  beforeAll(async () => {
    warn = vi.spyOn(console, 'warn');
    t = await startTestTessera();
  });
  afterAll(async () => {
    await t?.stop();
    warn.mockRestore();
  });

  it('is answered by oidc-provider, without its parsed-body warning', async () => {
    const client = await registerClient(t);
    const answer = await postForm(`${t.issuer}/token`, 'grant_type=client_credentials', {
      authorization: basicAuth(client.clientId, 'not-the-secret'),
    });
    expect(answer.status).toBe(401);
    expect(answer.body['error']).toBe('invalid_client');
    const warned = warn.mock.calls.map((call) => call.map(String).join(' ')).join('\n');
    expect(warned).not.toMatch(/already parsed request body/);
  });

  it('ends a request whose client leaves mid-body, and keeps serving', async () => {
    const client = await registerClient(t);
    const requestId = 'lean-body-cut-short';
    const socket = connect(Number(new URL(listeningUrl(t)).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\n' +
        `Content-Length: 100\r\nX-Request-Id: ${requestId}\r\n` +
        `Authorization: ${basicAuth(client.clientId, client.clientSecret)}\r\n\r\n` +
        'grant_type=client',
    );
    socket.destroy();

    await waitFor(async () =>
      t.logs.find((line) => line['msg'] === 'request' && line['requestId'] === requestId),
    );
    expect(t.logs.filter((line) => line['msg'] === 'request failed')).toEqual([]);
    const answer = await postForm(`${t.issuer}/token`, 'grant_type=client_credentials', {
      authorization: basicAuth(client.clientId, client.clientSecret),
    });
    expect(answer.status).toBe(200);
  });
});
