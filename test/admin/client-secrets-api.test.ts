import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { refusal, relyingParty } from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('admin API: client secrets', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const newClient = async () =>
    (await call('POST', '/clients', { body: { name: 'rotating' } })).body as {
      client_id: string;
      client_secret: string;
      secrets: { id: string }[];
    };
  const grant = async (clientId: string, clientSecret: string) =>
    oidc.clientCredentialsGrant(await relyingParty(t, { clientId, clientSecret }));

  it('adds a secret with an expiry, returns its value once, and both secrets work', async () => {
    const client = await newClient();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const added = await call('POST', `/clients/${client.client_id}/secrets`, {
      body: { expires_at: expiresAt },
    });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      id: expect.stringMatching(/^sec_/),
      secret: expect.any(String),
      created_at: expect.any(String),
      expires_at: expiresAt,
    });
    await expect(grant(client.client_id, client.client_secret)).resolves.toHaveProperty(
      'access_token',
    );
    await expect(grant(client.client_id, added.body.secret as string)).resolves.toHaveProperty(
      'access_token',
    );
  });

  it('lists ids, creation and expiry, never values or hashes', async () => {
    const client = await newClient();
    await call('POST', `/clients/${client.client_id}/secrets`, { body: {} });
    const listed = await call('GET', `/clients/${client.client_id}/secrets`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(2);
    for (const item of listed.body.items as object[]) {
      expect(Object.keys(item).sort()).toEqual(['created_at', 'expires_at', 'id']);
    }
    const stored = await t.tessera.storage.clients.get(client.client_id);
    const text = JSON.stringify(listed.body);
    for (const secret of stored!.secrets) expect(text).not.toContain(secret.hash);
    expect(text).not.toContain(client.client_secret);
  });

  it('removes a secret, which then stops working', async () => {
    const client = await newClient();
    const added = await call('POST', `/clients/${client.client_id}/secrets`, {});
    const removed = await call(
      'DELETE',
      `/clients/${client.client_id}/secrets/${client.secrets[0]!.id}`,
    );
    expect(removed.status).toBe(204);
    expect(await refusal(grant(client.client_id, client.client_secret))).toMatchObject({
      error: 'invalid_client',
    });
    await expect(grant(client.client_id, added.body.secret as string)).resolves.toHaveProperty(
      'access_token',
    );
  });

  it("refuses to remove a client's last live secret (409)", async () => {
    const client = await newClient();
    const response = await call(
      'DELETE',
      `/clients/${client.client_id}/secrets/${client.secrets[0]!.id}`,
    );
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('conflict');
  });

  it('answers 404 for an unknown secret or client', async () => {
    const client = await newClient();
    expect((await call('DELETE', `/clients/${client.client_id}/secrets/sec_nope`)).status).toBe(
      404,
    );
    expect((await call('POST', '/clients/cl_nope/secrets', { body: {} })).status).toBe(404);
    expect((await call('GET', '/clients/cl_nope/secrets')).status).toBe(404);
  });

  it('refuses an expiry in the past and a malformed one, naming expires_at', async () => {
    const client = await newClient();
    for (const expires_at of ['2001-01-01T00:00:00Z', 'tomorrow']) {
      const response = await call('POST', `/clients/${client.client_id}/secrets`, {
        body: { expires_at },
      });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('expires_at');
    }
  });

  it('refuses a secret for a public client', async () => {
    const { body: spa } = await call('POST', '/clients', {
      body: {
        name: 'spa',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        redirect_uris: ['https://spa.example.com/cb'],
      },
    });
    const response = await call('POST', `/clients/${spa.client_id}/secrets`, { body: {} });
    expect(response.status).toBe(400);
  });

  it('records tessera.client.secret_rotated without the secret', async () => {
    const client = await newClient();
    const added = await call('POST', `/clients/${client.client_id}/secrets`, { body: {} });
    const [event] = await t.tessera.storage.outbox.listRecent({
      type: 'tessera.client.secret_rotated',
      limit: 1,
    });
    expect(event).toMatchObject({
      subject: client.client_id,
      data: { client_id: client.client_id, secret_id: added.body.id, change: 'added' },
    });
    expect(JSON.stringify(event)).not.toContain(added.body.secret);
  });
});
