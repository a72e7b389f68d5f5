import { rm } from 'node:fs/promises';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFerretDb, type FerretDbHandle } from '../../scripts/test-services/ferretdb.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';
import { PATIENCE_MS } from '../helpers/patience.ts';
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

/** Retries `attempt` while the store is still coming back; the deadline bounds a failing test. */
async function retryUntilDone<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + PATIENCE_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (performance.now() > deadline) throw error;
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
    const env = { ...testSecrets(), MONGODB_URI: ferretDb.uri, MONGODB_DB: 'tessera' };
    // One frozen Tessera clock (oidc-provider keeps the real one): b's cached client never
    // expires, so only the polling can explain a change applying at b.
    const clock = createTestClock(Date.now());
    a = await startTestTessera(env, { clock });
    b = await startTestTessera(env, { clock });
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

  const failedReadsAt = async (t: TestTessera) =>
    sampleValue(
      parsePrometheusText(await t.tessera.metrics.registry.metrics()),
      'tessera_store_errors_total',
      { port: 'catalogGeneration', operation: 'read', kind: 'unavailable' },
    ) ?? 0;

  it(
    'logs one warning for an outage of many failed polls, recovers by itself, and pushes the next change',
    // A FerretDB stop and start and the driver's recovery take tens of seconds on a busy machine;
    // the waits below only end a drill that hangs.
    { timeout: 180_000 },
    async () => {
      const config = await relyingParty(b, client);
      const grant = () =>
        oidc.clientCredentialsGrant(config, { resource: API, scope: 'archive:read' });
      await expect(grant()).resolves.toHaveProperty('access_token');

      await ferretDb.stop();
      await waitFor(async () => (messagesOf(b, POLL_FAILED).length > 0 ? true : undefined));
      // Several more polls fail (each waits out server selection) while the store stays down.
      await waitFor(async () => ((await failedReadsAt(b)) >= 2 ? true : undefined), 60_000);
      await ferretDb.start();
      await waitFor(
        async () => (messagesOf(b, POLL_RECOVERED).length > 0 ? true : undefined),
        60_000,
      );

      await retryUntilDone(() => a.tessera.clients.delete(client.clientId));
      const refused = await waitFor(() =>
        grant().then(
          () => undefined,
          (error: unknown) => oauthErrorOf(error),
        ),
      );
      expect(refused).toEqual({ status: 401, error: 'invalid_client' });

      // Many reads failed, one warning said so.
      expect(await failedReadsAt(b)).toBeGreaterThanOrEqual(2);
      expect(messagesOf(b, POLL_FAILED)).toHaveLength(1);
      expect(messagesOf(b, POLL_FAILED)[0]).toMatchObject({ level: 40 });
      expect(unhandled).toEqual([]);
    },
  );
});
