import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/create-logger.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
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
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://ledger.example.com/api';
/** TESSERA_CATALOG_POLL_MS's default (1 s) plus a read, a request and scheduling slack. */
const PUSH_BOUND_MS = 2000;
/**
 * A cache TTL far beyond the test's duration: only the catalog generation polling can explain a
 * change applying at the other replica within PUSH_BOUND_MS.
 */
const LONG_CACHE_TTL = { TESSERA_CLIENT_CACHE_TTL: '60' };

type Outcome = 'granted' | { status: number | undefined; error: string | undefined };

describe.each(STORAGE_BACKENDS)('catalog changes pushed across replicas (%s store)', (backend) => {
  let a: TestTessera;
  let b: TestTessera;
  /** A replica with polling off: what b would do without the push (TTL only). */
  let unpolled: TestTessera;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = { ...sharedStoreEnv(backend), ...LONG_CACHE_TTL };
    a = await startTestTessera(env);
    b = await startTestTessera(env);
    unpolled = await startTestTessera({ ...env, TESSERA_CATALOG_POLL_MS: '0' });
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

  /**
   * Asks `at` until it refuses (bounded by twice PUSH_BOUND_MS) and returns the refusal and how
   * long after the call it came.
   */
  const refusalAt = async (at: TestTessera, client: RegisteredClient, scope = 'ledger:read') => {
    const config = await relyingParty(at, client);
    const started = performance.now();
    for (;;) {
      const elapsedMs = performance.now() - started;
      try {
        await oidc.clientCredentialsGrant(config, { resource: API, scope });
      } catch (error) {
        return { ...oauthErrorOf(error), elapsedMs };
      }
      if (elapsedMs > 2 * PUSH_BOUND_MS) return { status: 200, error: undefined, elapsedMs };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('refuses a secret removed through one replica at the other within about a second', async () => {
    const rotating = await registerClient(a, { scope: 'ledger:read' });
    const second = await a.tessera.clients.addSecret(rotating.clientId);
    // Every replica now holds the client in memory, for 60 s.
    for (const at of [a, b, unpolled]) expect(await grantAt(at, rotating)).toBe('granted');

    const [original] = (await a.tessera.clients.get(rotating.clientId)).secrets;
    await a.tessera.clients.removeSecret(rotating.clientId, original!.id);

    const refused = await refusalAt(b, rotating);
    expect(refused).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(refused.elapsedMs).toBeLessThan(PUSH_BOUND_MS);
    const remaining = { clientId: rotating.clientId, clientSecret: second.secret };
    expect(await grantAt(b, remaining)).toBe('granted');
    // The premise: without polling, the 60 s TTL alone would still let the removed secret in.
    expect(await grantAt(unpolled, rotating)).toBe('granted');
  });

  it('refuses a client deleted through one replica at the other within about a second', async () => {
    const doomed = await registerClient(a, { scope: 'ledger:read' });
    expect(await grantAt(b, doomed)).toBe('granted');
    await a.tessera.clients.delete(doomed.clientId);

    const refused = await refusalAt(b, doomed);
    expect(refused).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(refused.elapsedMs).toBeLessThan(PUSH_BOUND_MS);
  });

  it("applies a resource server's narrowed scopes at the other replica within about a second", async () => {
    const client = await registerClient(a, { scope: 'ledger:read ledger:write' });
    expect(await grantAt(b, client, 'ledger:write')).toBe('granted');
    const [server] = (await a.tessera.resourceServers.list({ limit: 10 })).filter(
      (record) => record.audience === API,
    );
    await a.tessera.resourceServers.update(server!.id, { scopes: ['ledger:read'] });
    try {
      const refused = await refusalAt(b, client, 'ledger:write');
      expect(refused).toMatchObject({ status: 400, error: 'invalid_scope' });
      expect(refused.elapsedMs).toBeLessThan(PUSH_BOUND_MS);
    } finally {
      await a.tessera.resourceServers.update(server!.id, {
        scopes: ['ledger:read', 'ledger:write'],
      });
    }
  });

  it('applies a change written straight to the store by another process, as tessera init does', async () => {
    const client = await registerClient(a, { scope: 'ledger:read' });
    expect(await grantAt(b, client)).toBe('granted');
    // Another process with the same configuration, writing through the store ports only.
    const outside = await openStorage(loadConfig(env), { logger: createLogger('silent') });
    try {
      expect(await outside.clients.delete(client.clientId)).toBe(true);
    } finally {
      await outside.close();
    }

    const refused = await refusalAt(b, client);
    expect(refused).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(refused.elapsedMs).toBeLessThan(PUSH_BOUND_MS);
  });
});
