import { rm } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFerretDb, type FerretDbHandle } from '../../scripts/test-services/ferretdb.ts';
import { findFreePort } from '../../scripts/test-services/ports.ts';
import {
  basicAuth,
  postForm,
  registerClient,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { runTesseraExpectingFailure, waitFor } from '../helpers/tessera-process.ts';
import { startTestTessera, testSecrets, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://inventory.example.com';
/**
 * What no request may take while the store is down: Tessera's server selection timeout (5 s,
 * adapters/mongodb/mongo-client.ts) and one retry end a request in about 10 s, where the driver's
 * default (30 s, then a retry) would hold it for a minute. The margin between the two is for the
 * machine's load.
 */
const MAX_REQUEST_MS = 25_000;

interface Outcome {
  readonly status: number;
  readonly error: unknown;
  readonly ms: number;
  readonly endedAt: number;
}

// A private FerretDB, stopped and started under a live Tessera while token requests keep coming.
describe('MongoDB outage', () => {
  let ferretDb: FerretDbHandle;
  let t: TestTessera;
  let client: RegisteredClient;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    ferretDb = await startFerretDb();
    t = await startTestTessera({ MONGODB_URI: ferretDb.uri, MONGODB_DB: 'tessera' });
    await t.tessera.resourceServers.create({ audience: API, scopes: ['stock:read'] });
    client = await registerClient(t, { scope: 'stock:read' });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t?.stop();
    await ferretDb?.stop();
    if (ferretDb) await rm(ferretDb.dataDir, { recursive: true, force: true });
  });

  const requestToken = async (): Promise<Outcome> => {
    const started = performance.now();
    const response = await postForm(
      `${t.issuer}/token`,
      new URLSearchParams({
        grant_type: 'client_credentials',
        resource: API,
        scope: 'stock:read',
      }).toString(),
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
    return {
      status: response.status,
      error: response.body.error,
      ms: performance.now() - started,
      endedAt: Date.now(),
    };
  };

  const readiness = async () => {
    const response = await fetch(`${t.issuer}/readyz`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it(
    'answers 503 temporarily_unavailable while the store is down and serves again by itself once it is back',
    // The store's stop and start and the driver's recovery take tens of seconds on a busy
    // machine; the waits below only end a drill that hangs.
    { timeout: 180_000 },
    async () => {
      const outcomes: Outcome[] = [];
      let flowing = true;
      // Four clients send token requests back to back for the whole drill.
      const flow = Promise.all(
        Array.from({ length: 4 }, async () => {
          while (flowing) outcomes.push(await requestToken());
        }),
      );
      const count = (status: number, after = 0) =>
        outcomes.filter((o) => o.status === status && o.endedAt > after).length;

      try {
        await waitFor(async () => (count(200) >= 20 ? true : undefined));

        await ferretDb.stop();
        const downAt = Date.now();
        await waitFor(async () => (count(503, downAt) >= 8 ? true : undefined), 60_000);
        const notReady = await readiness();
        expect(notReady.status).toBe(503);
        expect(notReady.body).toMatchObject({
          status: 'unavailable',
          reasons: [expect.stringMatching(/^store unreachable/)],
        });
        expect((await fetch(`${t.issuer}/healthz`)).status).toBe(200);

        await ferretDb.start();
        const upAt = Date.now();
        await waitFor(async () => (count(200, upAt) >= 20 ? true : undefined), 60_000);
        expect((await readiness()).status).toBe(200);
      } finally {
        flowing = false;
        await flow;
      }

      // On failure, show what the server logged for its errors: the cause of any 500.
      const serverErrors = t.logs
        .filter((line) => Number(line.level) >= 50)
        .map((line) => ({ msg: line.msg, err: line.err }));
      expect(
        outcomes.filter((o) => o.status !== 200 && o.status !== 503),
        JSON.stringify(serverErrors, null, 1),
      ).toEqual([]);
      expect(
        outcomes.filter((o) => o.status === 503 && o.error !== 'temporarily_unavailable'),
      ).toEqual([]);
      expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(MAX_REQUEST_MS);
      expect(unhandled).toEqual([]);
      const messages = t.logs.map((line) => line.msg);
      expect(messages).toContain('MongoDB is unreachable; requests needing the store answer 503');
      expect(messages).toContain('MongoDB is reachable again');
    },
  );
});

describe('starting without a reachable MongoDB', () => {
  // That the URI's serverSelectionTimeoutMS wins over Tessera's default is a unit test
  // (test/mongodb/mongodb-connection.test.ts); here the 1 s only keeps the refusal quick.
  it('exits 1 when MongoDB is unreachable at startup, saying the store is unreachable', async () => {
    const closedPort = await findFreePort();
    const result = await runTesseraExpectingFailure({
      MONGODB_URI: `mongodb://127.0.0.1:${closedPort}/?serverSelectionTimeoutMS=1000`,
      ...testSecrets(),
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('MongoDB is unreachable');
  });
});
