import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestClock } from '../contracts/storage-fixture.ts';
import {
  refusal,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://orders.example.com/api';

describe.each(STORAGE_BACKENDS)('client credentials grant (%s store)', (backend) => {
  let t: TestTessera;
  let client: RegisteredClient;
  let rp: oidc.Configuration;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  // Drives Tessera's own notion of time (secret expiry); oidc-provider keeps the real clock.
  const clock = createTestClock(Date.now());

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, {}, { clock });
    await t.tessera.resourceServers.create({
      audience: API,
      scopes: ['orders:read', 'orders:write'],
    });
    await t.tessera.resourceServers.create({
      audience: 'https://opaque.example.com',
      scopes: ['ledger:read'],
      accessTokenFormat: 'opaque',
      accessTokenTtl: 120,
    });
    client = await registerClient(t, { scope: 'orders:read orders:write ledger:read' });
    rp = await relyingParty(t, client);
    jwks = createLocalJWKSet((await (await fetch(`${t.issuer}/jwks`)).json()) as JSONWebKeySet);
  });
  afterAll(() => t.stop());

  it('issues an ES256 RFC 9068 JWT for a registered resource server', async () => {
    const response = await oidc.clientCredentialsGrant(rp, { resource: API, scope: 'orders:read' });
    expect(response.token_type.toLowerCase()).toBe('bearer');
    expect(response.scope).toBe('orders:read');
    expect(decodeProtectedHeader(response.access_token)).toMatchObject({
      alg: 'ES256',
      typ: 'at+jwt',
    });

    const { payload } = await jwtVerify(response.access_token, jwks, {
      issuer: t.issuer,
      audience: API,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({
      client_id: client.clientId,
      scope: 'orders:read',
      sub: client.clientId,
    });
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('issues an opaque token without a resource, which introspection reports active', async () => {
    const response = await oidc.clientCredentialsGrant(rp);
    expect(response.access_token.split('.')).toHaveLength(1);
    const introspection = await oidc.tokenIntrospection(rp, response.access_token);
    expect(introspection).toMatchObject({
      active: true,
      client_id: client.clientId,
      token_type: 'Bearer',
    });
  });

  it('issues an opaque token for an opaque-format resource server, with its audience and TTL', async () => {
    const response = await oidc.clientCredentialsGrant(rp, {
      resource: 'https://opaque.example.com',
      scope: 'ledger:read',
    });
    expect(response.expires_in).toBe(120);
    const introspection = await oidc.tokenIntrospection(rp, response.access_token);
    expect(introspection).toMatchObject({
      active: true,
      aud: 'https://opaque.example.com',
      scope: 'ledger:read',
      client_id: client.clientId,
    });
  });

  it('ends an opaque token on revocation', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(rp);
    await oidc.tokenRevocation(rp, token);
    expect(await oidc.tokenIntrospection(rp, token)).toEqual({ active: false });
  });

  it('accepts client_secret_post for a client registered with it', async () => {
    const postClient = await registerClient(t, {
      authMethod: 'client_secret_post',
      scope: 'orders:read',
    });
    const postRp = await relyingParty(t, postClient, 'post');
    const response = await oidc.clientCredentialsGrant(postRp, {
      resource: API,
      scope: 'orders:read',
    });
    expect(response.access_token).toEqual(expect.any(String));
  });

  it('accepts every live secret of a client and refuses removed and expired ones', async () => {
    const rotating = await registerClient(t, { scope: 'orders:read' });
    const second = await t.tessera.clients.addSecret(rotating.clientId);
    const shortLived = await t.tessera.clients.addSecret(rotating.clientId, clock() + 60_000);

    const grant = async (secret: string) =>
      oidc.clientCredentialsGrant(
        await relyingParty(t, { clientId: rotating.clientId, clientSecret: secret }),
      );
    await expect(grant(rotating.clientSecret)).resolves.toHaveProperty('access_token');
    await expect(grant(second.secret)).resolves.toHaveProperty('access_token');
    await expect(grant(shortLived.secret)).resolves.toHaveProperty('access_token');

    const [original] = (await t.tessera.clients.get(rotating.clientId)).secrets;
    await t.tessera.clients.removeSecret(rotating.clientId, original!.id);
    expect(await refusal(grant(rotating.clientSecret))).toEqual({
      status: 401,
      error: 'invalid_client',
    });

    clock.advance(60_001);
    expect(await refusal(grant(shortLived.secret))).toEqual({
      status: 401,
      error: 'invalid_client',
    });
    await expect(grant(second.secret)).resolves.toHaveProperty('access_token');
  });

  it('applies a narrowed scope allow-list to the next request', async () => {
    const narrowing = await registerClient(t, { scope: 'orders:read orders:write' });
    const narrowingRp = await relyingParty(t, narrowing);
    const grant = (scope: string) =>
      oidc.clientCredentialsGrant(narrowingRp, { resource: API, scope });
    await expect(grant('orders:write')).resolves.toHaveProperty('access_token');

    const { metadata } = await t.tessera.clients.get(narrowing.clientId);
    await t.tessera.clients.update(narrowing.clientId, {
      metadata: { ...metadata, scope: 'orders:read' },
    });
    expect(await refusal(grant('orders:write'))).toEqual({ status: 400, error: 'invalid_scope' });
    await expect(grant('orders:read')).resolves.toHaveProperty('access_token');
  });

  it('stores client secrets only as hashes', async () => {
    const stored = await t.tessera.storage.clients.get(client.clientId);
    const serialised = JSON.stringify(stored);
    expect(serialised).not.toContain(client.clientSecret);
    expect(stored?.secrets[0]?.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(client.clientSecret, 'base64url').length).toBeGreaterThanOrEqual(32);
  });
});
