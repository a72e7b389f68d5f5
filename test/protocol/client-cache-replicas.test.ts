import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestClock } from '../contracts/storage-fixture.ts';
import { refusal, registerClient, relyingParty } from '../helpers/oauth-fixtures.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
} from '../helpers/storage-backends.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://orders.example.com/api';
/** TESSERA_CLIENT_CACHE_TTL's default, in ms: the bound on how stale another replica may be. */
const CACHE_TTL_MS = 5000;

describe.each(STORAGE_BACKENDS)('client cache across two replicas (%s store)', (backend) => {
  let a: TestTessera;
  let b: TestTessera;
  let env: Record<string, string>;
  // Tessera's own clock (cache ages, secret expiry); oidc-provider keeps the real one.
  const clock = createTestClock(Date.now());

  beforeAll(async () => {
    env = sharedStoreEnv(backend);
    a = await startTestTessera(env, { clock });
    b = await startTestTessera(env, { clock });
    await a.tessera.resourceServers.create({
      audience: API,
      scopes: ['orders:read', 'orders:write'],
    });
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await removeSharedStore(env);
  });

  const grant = async (at: TestTessera, clientId: string, secret: string, scope = 'orders:read') =>
    oidc.clientCredentialsGrant(await relyingParty(at, { clientId, clientSecret: secret }), {
      resource: API,
      scope,
    });

  it('lets a client created through one replica get tokens at the other at once', async () => {
    const created = await registerClient(a, { scope: 'orders:read' });
    await expect(grant(b, created.clientId, created.clientSecret)).resolves.toHaveProperty(
      'access_token',
    );
  });

  it('stops a removed secret at once where it was removed, and within the TTL elsewhere', async () => {
    const rotating = await registerClient(a, { scope: 'orders:read' });
    const second = await a.tessera.clients.addSecret(rotating.clientId);
    // Both replicas now hold the client in memory.
    await grant(a, rotating.clientId, rotating.clientSecret);
    await grant(b, rotating.clientId, rotating.clientSecret);

    const [original] = (await a.tessera.clients.get(rotating.clientId)).secrets;
    await a.tessera.clients.removeSecret(rotating.clientId, original!.id);
    expect(await refusal(grant(a, rotating.clientId, rotating.clientSecret))).toEqual({
      status: 401,
      error: 'invalid_client',
    });

    clock.advance(CACHE_TTL_MS);
    expect(await refusal(grant(b, rotating.clientId, rotating.clientSecret))).toEqual({
      status: 401,
      error: 'invalid_client',
    });
    await expect(grant(b, rotating.clientId, second.secret)).resolves.toHaveProperty(
      'access_token',
    );
  });

  it('stops a deleted client at the other replica within the TTL', async () => {
    const doomed = await registerClient(a, { scope: 'orders:read' });
    await grant(b, doomed.clientId, doomed.clientSecret);
    await a.tessera.clients.delete(doomed.clientId);
    expect(await refusal(grant(a, doomed.clientId, doomed.clientSecret))).toEqual({
      status: 401,
      error: 'invalid_client',
    });
    clock.advance(CACHE_TTL_MS);
    expect(await refusal(grant(b, doomed.clientId, doomed.clientSecret))).toEqual({
      status: 401,
      error: 'invalid_client',
    });
  });

  it('applies a narrowed scope allow-list at the other replica within the TTL', async () => {
    const narrowed = await registerClient(a, { scope: 'orders:read orders:write' });
    await grant(b, narrowed.clientId, narrowed.clientSecret, 'orders:write');
    const current = await a.tessera.clients.get(narrowed.clientId);
    await a.tessera.clients.update(narrowed.clientId, {
      metadata: { ...current.metadata, scope: 'orders:read' },
    });
    clock.advance(CACHE_TTL_MS);
    expect(
      await refusal(grant(b, narrowed.clientId, narrowed.clientSecret, 'orders:write')),
    ).toEqual({ status: 400, error: 'invalid_scope' });
  });

  it("applies a resource server's narrowed scopes at the other replica within the TTL", async () => {
    const client = await registerClient(a, { scope: 'orders:read orders:write' });
    await grant(b, client.clientId, client.clientSecret, 'orders:write');
    const [server] = (await a.tessera.resourceServers.list({ limit: 10 })).filter(
      (record) => record.audience === API,
    );
    await a.tessera.resourceServers.update(server!.id, { scopes: ['orders:read'] });
    clock.advance(CACHE_TTL_MS);
    expect(await refusal(grant(b, client.clientId, client.clientSecret, 'orders:write'))).toEqual({
      status: 400,
      error: 'invalid_scope',
    });
    await a.tessera.resourceServers.update(server!.id, { scopes: ['orders:read', 'orders:write'] });
  });
});
