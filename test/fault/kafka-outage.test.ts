import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { startKafka, type KafkaHandle } from '../../scripts/test-services/kafka.ts';
import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  collectEvents,
  compareDelivery,
  createTopic,
  type EventCollector,
} from '../helpers/kafka-events.ts';
import { registerClient, relyingParty } from '../helpers/oauth-fixtures.ts';
import { SAMPLE_EVENTS } from '../helpers/sample-events.ts';
import { PATIENCE_MS } from '../helpers/patience.ts';
import { seedTessera } from '../helpers/seed-tessera.ts';
import {
  authorizationRequest,
  createUser,
  PASSWORD,
  registerAppClient,
  submitLogin,
} from '../helpers/sign-in-fixtures.ts';
import { spawnTessera, waitFor, type TesseraProcess } from '../helpers/tessera-process.ts';
import {
  CHEAP_ARGON2,
  startTestTessera,
  testSecrets,
  type TestTessera,
} from '../helpers/test-tessera.ts';

// Enough to keep the relay's backlog growing for several polls and to interleave four users'
// events; sized, with the test's own time limit, so the outcome does not depend on the load
// (about 30 s of the 120 s beside a second suite on two cores).
const LOGINS = 80;
const REVOCATIONS = 80;
const CONCURRENCY = 8;
/**
 * Kafka's restart, the lease lapsing and the deliveries take 20–30 s beside a second suite on
 * two cores; these only end a drill that hangs.
 */
const DELIVERY_PATIENCE_MS = 120_000;
const DRILL_LIMIT_MS = 180_000;

/** Runs `count` tasks, `CONCURRENCY` at a time; returns each one's duration in ms. */
async function runConcurrently(count: number, task: (index: number) => Promise<void>) {
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const index = next++;
        const started = performance.now();
        await task(index);
        durations.push(performance.now() - started);
      }
    }),
  );
  return durations.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0);

describe('Kafka outage drill', () => {
  let kafka: KafkaHandle;

  beforeAll(async () => {
    kafka = await startKafka();
  });
  afterAll(async () => {
    await kafka.stop();
    rmSync(kafka.dataDir, { recursive: true, force: true });
  });

  describe('requests while Kafka is down', () => {
    let t: TestTessera;
    let topic: string;
    let collector: EventCollector | undefined;
    // Set while this drill holds Kafka down, so that a failure there does not leave the next
    // drill (which shares the broker) without one.
    let kafkaDown = false;

    beforeAll(async () => {
      topic = await createTopic(kafka.brokers);
      t = await startTestTessera({
        KAFKA_BROKERS: kafka.brokers,
        KAFKA_TOPIC: topic,
        TESSERA_OUTBOX_POLL_MS: '50',
        // Hundreds of sign-ins from one loopback address in a few seconds.
        TESSERA_LOGIN_IP_MAX_FAILURES: '1000000',
        ...CHEAP_ARGON2,
      });
    });
    afterAll(async () => {
      await collector?.stop();
      await t.stop();
      if (kafkaDown) await kafka.start();
    });

    it(
      `serves ${LOGINS} sign-ins and ${REVOCATIONS} revocations, then delivers every event in order per key`,
      async () => {
        const users = ['alice', 'bob', 'carol', 'dave'];
        for (const user of users) await createUser(t, user);
        const app = await registerAppClient(t, { public: true, scope: 'openid' });
        const services = [await registerClient(t), await registerClient(t)];
        const rps = await Promise.all(services.map((service) => relyingParty(t, service)));
        await kafka.stop();
        kafkaDown = true;
        const publishedBeforeOutage = await publishedSoFar(t.issuer);
        const outageStarted = performance.now();

        const loginTimes = await runConcurrently(LOGINS, async (index) => {
          const browser = new BrowserSession();
          const request = await authorizationRequest(app, { params: { scope: 'openid' } });
          const login = await browser.follow(request.url.href, t.issuer);
          const { page, leftTo } = await submitLogin(
            browser,
            t,
            login.page,
            users[index % users.length]!,
            PASSWORD,
          );
          // Signed in: on to the consent page (or straight back to the application).
          expect(leftTo !== undefined || page.body.includes('/confirm"'), page.body).toBe(true);
        });
        const revocationTimes = await runConcurrently(REVOCATIONS, async (index) => {
          const rp = rps[index % rps.length]!;
          const { access_token: token } = await oidc.clientCredentialsGrant(rp);
          await oidc.tokenRevocation(rp, token);
        });
        const outageMs = performance.now() - outageStarted;
        console.log(
          `Kafka down: ${LOGINS} sign-ins p50 ${percentile(loginTimes, 0.5)} ms, max ` +
            `${percentile(loginTimes, 1)} ms; ${REVOCATIONS} token+revocation pairs p50 ` +
            `${percentile(revocationTimes, 0.5)} ms, max ${percentile(revocationTimes, 1)} ms; ` +
            `${Math.round(outageMs)} ms in all`,
        );
        // Nothing on the request path waits for Kafka: every request above was answered while
        // Kafka was down (it restarts only below), and not one event reached Kafka meanwhile. (The
        // durations logged above are for reading, not asserted: they measure the machine.)
        expect(await publishedSoFar(t.issuer)).toBe(publishedBeforeOutage);

        const recorded = await t.tessera.storage.outbox.listRecent({ limit: 10_000 });
        const logins = recorded.filter((event) => event.type === 'tessera.login.succeeded');
        const revoked = recorded.filter((event) => event.type === 'tessera.token.revoked');
        expect(logins).toHaveLength(LOGINS);
        expect(revoked).toHaveLength(REVOCATIONS);
        // /readyz reports a backlog count up to 2 s old (src/relay/backlog-reader.ts), so a
        // reading taken before the requests above may still be served: wait for a fresh one.
        const readiness = async () => {
          const ready = await fetch(`${t.issuer}/readyz`);
          const { outbox } = (await ready.json()) as { outbox: { relay: string; pending: number } };
          return { status: ready.status, ...outbox };
        };
        await expect
          .poll(async () => (await readiness()).pending, { timeout: PATIENCE_MS, interval: 250 })
          .toBeGreaterThanOrEqual(LOGINS + REVOCATIONS);
        expect(await readiness()).toMatchObject({ status: 200, relay: 'failing' });

        const restarted = performance.now();
        await kafka.start();
        kafkaDown = false;
        collector = await collectEvents(kafka.brokers, topic);
        const delivered = collector;
        await delivered.until((messages) => {
          const seen = new Set(messages.map((message) => message.id));
          return recorded.every((event) => seen.has(event.id));
        }, DELIVERY_PATIENCE_MS);
        console.log(
          `Kafka back: ${recorded.length} events delivered ${Math.round(performance.now() - restarted)} ms after the restart began`,
        );

        const delivery = compareDelivery(recorded, delivered.messages);
        expect(delivery).toMatchObject({
          missing: [],
          unknown: [],
          conflicting: [],
          outOfOrderKeys: [],
        });
      },
      DRILL_LIMIT_MS,
    );
  });

  describe('a Tessera process killed while publishing', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-kill-drill-'));
    const env = {
      TESSERA_DATA_DIR: dataDir,
      ...testSecrets(),
      TESSERA_OUTBOX_POLL_MS: '50',
    };
    const BACKLOG = 20_000;
    let running: TesseraProcess | undefined;
    let collector: EventCollector | undefined;

    afterAll(async () => {
      running?.child.kill('SIGKILL');
      await collector?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it(
      'loses nothing: the restarted process publishes what the killed one had not marked',
      async () => {
        const topic = await createTopic(kafka.brokers);
        const newEvent = createEventFactory({
          source: 'http://localhost',
          clock: Date.now,
          onInvalid: throwInvalidEvent,
        });
        // A backlog of many keys, recorded before the process starts, so it is killed mid-way.
        await seedTessera(env, async (tessera) => {
          const events = Array.from({ length: BACKLOG }, (_, index) => {
            const sample = SAMPLE_EVENTS[index % SAMPLE_EVENTS.length]!;
            return newEvent({ ...sample, key: `key-${index % 50}` });
          });
          await tessera.storage.outbox.append(events);
        });

        const processEnv = { ...env, KAFKA_BROKERS: kafka.brokers, KAFKA_TOPIC: topic };
        running = await spawnTessera(processEnv);
        const first = running;
        const publishedAtKill = await waitFor(async () => {
          const published = await publishedSoFar(first.origin);
          return published > 0 ? published : undefined;
        });
        first.child.kill('SIGKILL');
        await first.exited;
        expect(publishedAtKill).toBeLessThan(BACKLOG);

        running = await spawnTessera(processEnv);
        collector = await collectEvents(kafka.brokers, topic);
        const delivered = collector;
        // The killed process's relay lease (15 s) must lapse before the new one publishes.
        await delivered.until(
          (messages) => new Set(messages.map((message) => message.id)).size >= BACKLOG,
          DELIVERY_PATIENCE_MS,
        );

        const recorded = await recordedEvents(dataDir);
        const delivery = compareDelivery(recorded, delivered.messages);
        console.log(
          `killed after ${publishedAtKill} of ${BACKLOG} marked published; ` +
            `${delivery.duplicates} duplicates after the restart`,
        );
        expect(delivery).toMatchObject({
          missing: [],
          unknown: [],
          conflicting: [],
          outOfOrderKeys: [],
        });
      },
      DRILL_LIMIT_MS,
    );
  });
});

/** Events the relay has marked published so far, from Tessera's /metrics at `origin`. */
async function publishedSoFar(origin: string): Promise<number> {
  const metrics = await (await fetch(`${origin}/metrics`)).text();
  const match = /^tessera_outbox_published_total (\d+)/m.exec(metrics);
  return Number(match?.[1] ?? 0);
}

/** Every event in a process's SQLite store, read beside it (WAL lets a reader in). */
async function recordedEvents(dataDir: string) {
  const storage = openSqliteStorage({ path: join(dataDir, 'tessera.sqlite') });
  try {
    return await storage.outbox.listRecent({ limit: 100_000 });
  } finally {
    await storage.close();
  }
}
