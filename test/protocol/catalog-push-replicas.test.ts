import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/create-logger.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';
import {
  oauthErrorOf,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
} from '../helpers/storage-backends.ts';
import { waitFor } from '../helpers/tessera-process.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://ledger.example.com/api';

type Outcome = 'granted' | { status: number | undefined; error: string | undefined };

/**
 * Every replica runs on one frozen Tessera clock (oidc-provider keeps the real one), so a cached
 * client or resource server never expires however long the test takes: only the catalog
 * generation polling can explain a change applying at the other replica, and the replica with
 * polling off shows what it would do without it. How soon the polling acts (one
 * TESSERA_CATALOG_POLL_MS) is proven on fake timers in test/storage/catalog-change-poller.test.ts.
 */
const frozenClock = createTestClock(Date.now());

describe.each(STORAGE_BACKENDS)('catalog changes pushed across replicas (%s store)', (backend) => {
  let a: TestTessera;
  let b: TestTessera;
  /** A replica with polling off: what b would do without the push (the cache alone). */
  let unpolled: TestTessera;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = sharedStoreEnv(backend);
    a = await startTestTessera(env, { clock: frozenClock });
    b = await startTestTessera(env, { clock: frozenClock });
    unpolled = await startTestTessera(
      { ...env, TESSERA_CATALOG_POLL_MS: '0' },
      { clock: frozenClock },
    );
    await a.tessera.resourceServers.create({
      audience: API,
      scopes: ['ledger:read', 'ledger:write'],
    });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await unpolled?.stop();
    await removeSharedStore(env);
  });

  const grantAt = async (
    at: TestTessera,
    client: RegisteredClient,
    scope = 'ledger:read',
  ): Promise<Outcome> => {
    const config = await relyingParty(at, client);
    try {
      await oidc.clientCredentialsGrant(config, { resource: API, scope });
      return 'granted';
    } catch (error) {
      return oauthErrorOf(error);
    }
  };

  /** Asks `at` until it refuses; the deadline only bounds a failing test. */
  const refusalAt = (at: TestTessera, client: RegisteredClient, scope = 'ledger:read') =>
    waitFor(async () => {
      const outcome = await grantAt(at, client, scope);
      return outcome === 'granted' ? undefined : outcome;
    });

  it('refuses a secret removed through one replica at the other, which still caches it, once it polls', async () => {
    const rotating = await registerClient(a, { scope: 'ledger:read' });
    const second = await a.tessera.clients.addSecret(rotating.clientId);
    // Every replica now holds the client in memory, for as long as the frozen clock stands.
    for (const at of [a, b, unpolled]) expect(await grantAt(at, rotating)).toBe('granted');

    const [original] = (await a.tessera.clients.get(rotating.clientId)).secrets;
    await a.tessera.clients.removeSecret(rotating.clientId, original!.id);

    const refused = await refusalAt(b, rotating);
    expect(refused).toMatchObject({ status: 401, error: 'invalid_client' });
    const remaining = { clientId: rotating.clientId, clientSecret: second.secret };
    expect(await grantAt(b, remaining)).toBe('granted');
    // The premise: without polling, the cache alone would still let the removed secret in.
    expect(await grantAt(unpolled, rotating)).toBe('granted');
  });

  it('refuses a client deleted through one replica at the other, which still caches it, once it polls', async () => {
    const doomed = await registerClient(a, { scope: 'ledger:read' });
    for (const at of [b, unpolled]) expect(await grantAt(at, doomed)).toBe('granted');
    await a.tessera.clients.delete(doomed.clientId);

    const refused = await refusalAt(b, doomed);
    expect(refused).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(await grantAt(unpolled, doomed)).toBe('granted');
  });

  it("applies a resource server's narrowed scopes at the other replica, which still caches them, once it polls", async () => {
    const client = await registerClient(a, { scope: 'ledger:read ledger:write' });
    for (const at of [b, unpolled])
      expect(await grantAt(at, client, 'ledger:write')).toBe('granted');
    const [server] = (await a.tessera.resourceServers.list({ limit: 10 })).filter(
      (record) => record.audience === API,
    );
    await a.tessera.resourceServers.update(server!.id, { scopes: ['ledger:read'] });
    try {
      const refused = await refusalAt(b, client, 'ledger:write');
      expect(refused).toMatchObject({ status: 400, error: 'invalid_scope' });
      expect(await grantAt(unpolled, client, 'ledger:write')).toBe('granted');
    } finally {
      await a.tessera.resourceServers.update(server!.id, {
        scopes: ['ledger:read', 'ledger:write'],
      });
    }
  });

  it('applies a change written straight to the store by another process, as tessera init does', async () => {
    const client = await registerClient(a, { scope: 'ledger:read' });
    for (const at of [b, unpolled]) expect(await grantAt(at, client)).toBe('granted');
    // Another process with the same configuration, writing through the store ports only.
    const outside = await openStorage(loadConfig(env), { logger: createLogger('silent') });
    try {
      expect(await outside.clients.delete(client.clientId)).toBe(true);
    } finally {
      await outside.close();
    }

    const refused = await refusalAt(b, client);
    expect(refused).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(await grantAt(unpolled, client)).toBe('granted');
  });
});
