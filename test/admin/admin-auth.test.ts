import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestClock } from '../contracts/storage-fixture.ts';
import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { registerClient, relyingParty } from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('admin API authentication', () => {
  let t: TestTessera;
  let call: AdminCall;
  let adminClientId: string;
  const clock = createTestClock(Date.now());

  beforeAll(async () => {
    t = await startTestTessera({}, { clock });
    const { token, client } = await issueToken(t);
    adminClientId = client.clientId;
    call = adminClient(t, token);
  });
  afterAll(() => t.stop());

  it('answers 401 with a Bearer challenge when no token is sent', async () => {
    const response = await call('GET', '/clients', { token: null });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tessera-admin"');
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('answers 401 invalid_token for a token Tessera never issued', async () => {
    const response = await call('GET', '/clients', { token: 'not-a-real-token' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 401 for a scheme other than Bearer', async () => {
    const response = await call('GET', '/clients', {
      token: null,
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(response.status).toBe(401);
  });

  it('answers 403 insufficient_scope for a valid token without tessera:admin', async () => {
    const { token } = await issueToken(t, { scope: 'openid', clientScope: 'openid' });
    const response = await call('GET', '/clients', { token });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(response.headers.get('www-authenticate')).toContain('scope="tessera:admin"');
    expect(response.body).toMatchObject({ code: 'forbidden' });
  });

  it('refuses a token in the query string even when it is valid', async () => {
    const { token } = await issueToken(t);
    const response = await call('GET', `/clients?access_token=${token}`, { token: null });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ field: 'access_token' });
  });

  it('accepts a valid admin token and remembers who made each change', async () => {
    const response = await call('POST', '/resource-servers', {
      body: { audience: 'https://audit.example.com', scopes: ['audit:read'] },
    });
    expect(response.status).toBe(201);
    const line = t.logs.find(
      (log) => log.msg === 'admin change' && log.target === response.body.id,
    );
    expect(line).toMatchObject({
      admin: adminClientId,
      action: 'createResourceServer',
      status: 201,
    });
    expect(line?.time).toEqual(expect.any(String));
  });

  it('refuses an end-user access token, even one carrying tessera:admin', async () => {
    const { provider } = t.tessera.holder.current();
    const client = await provider.Client.find(adminClientId);
    const userToken = new provider.AccessToken({
      client: client!,
      accountId: 'someone',
      grantId: 'grant-1',
      gty: 'authorization_code',
      scope: 'tessera:admin',
    });
    const value = await userToken.save();
    const response = await call('GET', '/clients', { token: value });
    expect(response.status).toBe(401);
  });

  it('refuses a JWT access token minted for a resource server', async () => {
    await t.tessera.resourceServers.create({
      audience: 'https://api.example.com',
      scopes: ['tessera:admin'],
    });
    const client = await registerClient(t, { scope: 'tessera:admin' });
    const rp = await relyingParty(t, client);
    const { access_token: token } = await oidc.clientCredentialsGrant(rp, {
      resource: 'https://api.example.com',
      scope: 'tessera:admin',
    });
    const response = await call('GET', '/clients', { token });
    expect(response.status).toBe(401);
  });

  it('stops accepting a token once its client is deleted', async () => {
    const { token, client } = await issueToken(t);
    expect((await call('GET', '/clients', { token })).status).toBe(200);
    await t.tessera.clients.delete(client.clientId);
    expect((await call('GET', '/clients', { token })).status).toBe(401);
  });

  it('answers 403 once the client loses tessera:admin, even for a token issued before', async () => {
    const { token, client } = await issueToken(t);
    const current = await t.tessera.clients.get(client.clientId);
    await t.tessera.clients.update(client.clientId, {
      metadata: { ...current.metadata, scope: 'openid' },
    });
    expect((await call('GET', '/clients', { token })).status).toBe(403);
  });

  it('refuses an expired token', async () => {
    const { token } = await issueToken(t);
    // Tokens live an hour (TESSERA_CLIENT_CREDENTIALS_TTL); Tessera's clock moves two ahead.
    const twoHours = 2 * 3600 * 1000;
    clock.advance(twoHours);
    try {
      expect((await call('GET', '/clients', { token })).status).toBe(401);
    } finally {
      clock.advance(-twoHours);
    }
  });

  it('serves the OpenAPI document without a token', async () => {
    const response = await call('GET', '/openapi.json', { token: null });
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
  });
});
