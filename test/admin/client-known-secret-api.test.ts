import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { oauthErrorOf, relyingParty } from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** A secret as Keycloak issues them: 32 alphanumeric characters. */
const KNOWN_SECRET = 'kc9Xw2LqR7vT4mZp8sYb1nHd6gFj3aEu';

describe('admin API: a confidential client registered with a known secret', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const create = (body: Record<string, unknown>) => call('POST', '/clients', { body });

  it('authenticates with that secret, which is neither returned nor stored in the clear', async () => {
    const created = await create({
      client_id: 'migrated-app',
      name: 'migrated',
      scope: 'openid',
      client_secret: KNOWN_SECRET,
    });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('client_secret');
    expect(created.body.secrets).toEqual([
      { id: expect.stringMatching(/^sec_/), created_at: expect.any(String), expires_at: null },
    ]);

    const rp = await relyingParty(t, { clientId: 'migrated-app', clientSecret: KNOWN_SECRET });
    const tokens = await oidc.clientCredentialsGrant(rp, { scope: 'openid' });
    expect(tokens.access_token).toEqual(expect.any(String));

    const stored = await t.tessera.storage.clients.get('migrated-app');
    expect(JSON.stringify(stored)).not.toContain(KNOWN_SECRET);
    expect(stored?.secrets[0]?.hash).toEqual(expect.any(String));
    expect(JSON.stringify(t.logs)).not.toContain(KNOWN_SECRET);
  });

  it('refuses another secret for that client', async () => {
    await create({ client_id: 'strict-app', name: 'strict', client_secret: KNOWN_SECRET });
    const rp = await relyingParty(t, {
      clientId: 'strict-app',
      clientSecret: `${KNOWN_SECRET.slice(0, -1)}X`,
    });
    const refused = await oidc.clientCredentialsGrant(rp).catch((error: unknown) => error);
    expect(oauthErrorOf(refused).error).toBe('invalid_client');
  });

  it('refuses a known secret for a public or private_key_jwt client, naming client_secret', async () => {
    const response = await create({
      name: 'public',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      redirect_uris: ['https://app.example.com/cb'],
      client_secret: KNOWN_SECRET,
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'client_secret' });
  });

  it('refuses a known secret that is too short, too long or not printable ASCII', async () => {
    for (const secret of [
      'short-secret',
      'x'.repeat(513),
      `${KNOWN_SECRET}\n`,
      `${KNOWN_SECRET}é`,
    ]) {
      const response = await create({ name: 'weak', client_secret: secret });
      expect(response.status, JSON.stringify(secret)).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', field: 'client_secret' });
    }
  });
});
