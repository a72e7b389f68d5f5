import { rm } from 'node:fs/promises';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFerretDb, type FerretDbHandle } from '../../scripts/test-services/ferretdb.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.ts';
import {
  oauthErrorOf,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { waitFor } from '../helpers/tessera-process.ts';
import { startTestTessera, testSecrets, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://archive.example.com';
const POLL_FAILED = 'catalog change polling failed';
const POLL_RECOVERED = 'catalog change polling works again';
/** TESSERA_CATALOG_POLL_MS's default (1 s) plus a read, a request and scheduling slack. */
const PUSH_BOUND_MS = 2000;

/** Retries `attempt` (bounded) while the store is still coming back. */
async function retryUntilDone<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

// A private FerretDB under two replicas, stopped and started: the catalog change polling of the
// replica that did not make the change must live through it and push changes again afterwards.
describe('catalog change polling through a MongoDB outage', () => {
  let ferretDb: FerretDbHandle;
  let a: TestTessera;
  let b: TestTessera;
  let client: RegisteredClient;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    ferretDb = await startFerretDb();
    const env = {
      ...testSecrets(),
      MONGODB_URI: ferretDb.uri,
      MONGODB_DB: 'tessera',
      // Only the polling can explain a change applying at b within seconds.
      TESSERA_CLIENT_CACHE_TTL: '60',
    };
    a = await startTestTessera(env);
    b = await startTestTessera(env);
    await a.tessera.resourceServers.create({ audience: API, scopes: ['archive:read'] });
    client = await registerClient(a, { scope: 'archive:read' });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await a?.stop();
    await b?.stop();
    await ferretDb?.stop();
    if (ferretDb) await rm(ferretDb.dataDir, { recursive: true, force: true });
  });

  const messagesOf = (t: TestTessera, msg: string) =>
    t.logs.filter((line) => typeof line.msg === 'string' && line.msg.startsWith(msg));

  it(
    'logs one warning for the outage, recovers by itself, and pushes the next change within about a second',
    { timeout: 90_000 },
    async () => {
      const config = await relyingParty(b, client);
      const grant = () =>
        oidc.clientCredentialsGrant(config, { resource: API, scope: 'archive:read' });
      await expect(grant()).resolves.toHaveProperty('access_token');

      await ferretDb.stop();
      await waitFor(async () => (messagesOf(b, POLL_FAILED).length > 0 ? true : undefined), 20_000);
      const failedAt = Date.now();
      // Several more polls fail (each waits out server selection) while the store stays down.
      await waitFor(async () => (Date.now() - failedAt > 6_000 ? true : undefined), 10_000);
      await ferretDb.start();
      await waitFor(
        async () => (messagesOf(b, POLL_RECOVERED).length > 0 ? true : undefined),
        30_000,
      );

      await retryUntilDone(() => a.tessera.clients.delete(client.clientId), 20_000);
      const deletedAt = performance.now();
      let refused: ReturnType<typeof oauthErrorOf> | undefined;
      while (!refused && performance.now() - deletedAt < 2 * PUSH_BOUND_MS) {
        try {
          await grant();
          await new Promise((resolve) => setTimeout(resolve, 50));
        } catch (error) {
          refused = oauthErrorOf(error);
        }
      }
      expect(refused).toEqual({ status: 401, error: 'invalid_client' });
      expect(performance.now() - deletedAt).toBeLessThan(PUSH_BOUND_MS);

      // Many reads failed, one warning said so.
      const failedReads = sampleValue(
        parsePrometheusText(await b.tessera.metrics.registry.metrics()),
        'tessera_store_errors_total',
        { port: 'catalogGeneration', operation: 'read', kind: 'unavailable' },
      );
      expect(failedReads).toBeGreaterThanOrEqual(2);
      expect(messagesOf(b, POLL_FAILED)).toHaveLength(1);
      expect(messagesOf(b, POLL_FAILED)[0]).toMatchObject({ level: 40 });
      expect(unhandled).toEqual([]);
    },
  );
});
