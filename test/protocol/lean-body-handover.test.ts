import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';

import { basicAuth, postForm, registerClient } from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/**
 * A token request the lean path does not serve reaches oidc-provider with its body already read
 * (lib/shared/selective_body.js takes `req.body`), which oidc-provider notices once per process
 * on console.warn as if an upstream body parser were in use. Tessera acknowledges that notice at
 * start-up (lean-provider-routes.ts), so operators never see it; this file runs in its own
 * process, so nothing else gave the notice before.
 */
describe('a token request handed to oidc-provider with its body already read', () => {
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
});
