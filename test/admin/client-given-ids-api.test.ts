import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { relyingParty } from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** Ids as other servers issue them: Keycloak's built-in clients, slugs, URNs, URLs. */
const FOREIGN_IDS = [
  'account-console',
  'my-app',
  'urn:foo:bar',
  'https://app.example.com/client',
  'Some App (prod)',
];

describe('admin API: a client registered under a given client_id', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const create = (body: Record<string, unknown>) => call('POST', '/clients', { body });
  const clientPath = (clientId: string) => `/clients/${encodeURIComponent(clientId)}`;

  it('keeps ids other servers use, is found under them, and authenticates with them', async () => {
    for (const clientId of FOREIGN_IDS) {
      const created = await create({ client_id: clientId, name: clientId, scope: 'openid' });
      expect(created.status, clientId).toBe(201);
      expect(created.body.client_id).toBe(clientId);
      expect((await call('GET', clientPath(clientId))).body.client_id).toBe(clientId);

      const rp = await relyingParty(t, { clientId, clientSecret: created.body.client_secret });
      const tokens = await oidc.clientCredentialsGrant(rp, { scope: 'openid' });
      expect(tokens.access_token, clientId).toEqual(expect.any(String));
    }
  });

  it('announces the given id in tessera.client.created', async () => {
    await create({ client_id: 'evented-app', name: 'evented' });
    const events = await t.tessera.storage.outbox.listRecent({ limit: 100 });
    const created = events.find(
      (event) => event.type === 'tessera.client.created' && event.subject === 'evented-app',
    );
    expect(created?.data).toMatchObject({ client_id: 'evented-app' });
  });

  it('refuses an id that is empty, too long, padded or holds control or non-ASCII characters, naming client_id', async () => {
    for (const clientId of [
      '',
      'x'.repeat(201),
      ' padded',
      'padded ',
      'line\nbreak',
      'tab\there',
      'nul\u0000',
      'del\u007f',
      'ｍy-app',
      'rtl\u202Eppa',
    ]) {
      const response = await create({ client_id: clientId, name: 'bad id' });
      expect(response.status, JSON.stringify(clientId)).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', field: 'client_id' });
    }
  });

  it('refuses an id already taken with 409, leaving the existing client as it was', async () => {
    const first = await create({ client_id: 'taken-app', name: 'first' });
    expect(first.status).toBe(201);
    const second = await create({ client_id: 'taken-app', name: 'second' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'conflict', field: 'client_id' });
    expect(second.body.detail).toContain('taken-app');
    const read = await call('GET', clientPath('taken-app'));
    expect(read.body).toMatchObject({ name: 'first', version: 1 });
  });

  it('still generates an id when none is given', async () => {
    const created = await create({ name: 'generated' });
    expect(created.body.client_id).toMatch(/^cl_/);
  });
});
