import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { tesseraEventSchema } from '../../src/events/event-schema.ts';
import type { EventPublisher, PublishedMessage } from '../../src/ports/event-publisher.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, type TestClock } from '../contracts/storage-fixture.ts';
import {
  createOutboxRelay,
  RELAY_LEASE,
  type OutboxRelay,
  type OutboxRelayOptions,
} from '../../src/relay/outbox-relay.ts';
import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import { waitFor } from '../helpers/tessera-process.ts';
import { SAMPLE_EVENTS } from '../helpers/sample-events.ts';

/** A publisher that records what it was given and fails while told to. */
function createFakePublisher() {
  const published: PublishedMessage[] = [];
  let failing = false;
  let attempts = 0;
  const publisher: EventPublisher & {
    published: PublishedMessage[];
    fail(value: boolean): void;
    readonly attempts: number;
  } = {
    published,
    fail: (value) => {
      failing = value;
    },
    get attempts() {
      return attempts;
    },
    async publish(messages) {
      attempts += 1;
      if (failing) throw new Error('broker unreachable');
      published.push(...messages);
    },
    async close() {},
  };
  return publisher;
}

const idOf = (message: PublishedMessage) => (JSON.parse(message.value) as { id: string }).id;

const FAST: OutboxRelayOptions = {
  settleMs: 0,
  pollIntervalMs: 10,
  retentionMs: 60_000,
  standbyPollMs: 20,
  backoffBaseMs: 5,
  backoffCapMs: 20,
  leaseTtlMs: 2_000,
};

describe('outbox relay', () => {
  let dir: string;
  let storage: Storage;
  const relays: OutboxRelay[] = [];
  const counted = { published: 0, failed: 0, looks: 0 };
  /**
   * The store's and the relays' clock, which the test alone moves: a relay's lease (2 s) never
   * lapses because a busy machine delayed its renewal, and 'failing for a while' is a step the
   * test takes.
   */
  let clock: TestClock;
  const newEvent = createEventFactory({
    source: 'https://id.example.com',
    clock: Date.now,
    onInvalid: throwInvalidEvent,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-relay-'));
    clock = createTestClock(Date.now());
    storage = openSqliteStorage({ path: join(dir, 'store.sqlite'), clock });
    counted.published = 0;
    counted.failed = 0;
    counted.looks = 0;
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startRelay = (
    publisher: EventPublisher,
    options: Partial<OutboxRelayOptions> = {},
    holderId = 'replica-a',
  ) => {
    const relay = createOutboxRelay(
      {
        outbox: {
          ...storage.outbox,
          listPending: (query) => {
            counted.looks += 1;
            return storage.outbox.listPending(query);
          },
        },
        leases: storage.leases,
        publisher,
        metrics: {
          published: (count) => (counted.published += count),
          publishFailed: () => (counted.failed += 1),
        },
        logger: pino({ level: 'silent' }),
        clock,
        holderId,
      },
      { ...FAST, ...options },
    );
    relays.push(relay);
    relay.start();
    return relay;
  };

  const appendSamples = async (count: number) => {
    const events = Array.from({ length: count }, (_, index) =>
      newEvent(SAMPLE_EVENTS[index % SAMPLE_EVENTS.length]!),
    );
    await storage.outbox.append(events);
    return events;
  };

  const untilPublished = (publisher: { published: PublishedMessage[] }, count: number) =>
    waitFor(async () => (publisher.published.length >= count ? true : undefined));

  it('publishes pending events in order as CloudEvents under their key, and marks them published', async () => {
    const events = await appendSamples(SAMPLE_EVENTS.length);
    const publisher = createFakePublisher();
    startRelay(publisher);
    await untilPublished(publisher, events.length);

    expect(publisher.published.map(idOf)).toEqual(events.map((event) => event.id));
    for (const [index, message] of publisher.published.entries()) {
      const cloudEvent = tesseraEventSchema.parse(JSON.parse(message.value));
      expect(message.key).toBe(events[index]!.key);
      expect(cloudEvent.partitionkey).toBe(message.key);
      expect(message.headers).toEqual({ 'content-type': 'application/cloudevents+json' });
    }
    await waitFor(async () => ((await storage.outbox.backlog()).pending === 0 ? true : undefined));
    expect(counted.published).toBe(events.length);
  });

  it('publishes a backlog larger than one batch, in order, in batches', async () => {
    const events = await appendSamples(25);
    const publisher = createFakePublisher();
    startRelay(publisher, { batchSize: 10 });
    await untilPublished(publisher, 25);
    expect(publisher.attempts).toBeGreaterThanOrEqual(3);
    expect(publisher.published.map(idOf)).toEqual(events.map((event) => event.id));
  });

  it('keeps events pending while publishing fails, counts the failures, and delivers them once it works', async () => {
    const publisher = createFakePublisher();
    publisher.fail(true);
    startRelay(publisher);
    const events = await appendSamples(5);
    await waitFor(async () => (counted.failed >= 3 ? true : undefined));
    expect((await storage.outbox.backlog()).pending).toBe(5);
    expect(publisher.published).toEqual([]);

    publisher.fail(false);
    await untilPublished(publisher, 5);
    expect(publisher.published.map(idOf)).toEqual(events.map((event) => event.id));
  });

  it('publishes nothing appended within the settle delay', async () => {
    const publisher = createFakePublisher();
    startRelay(publisher, { settleMs: 60_000 });
    await appendSamples(3);
    const looked = counted.looks;
    await waitFor(async () => (counted.looks >= looked + 3 ? true : undefined));
    expect(publisher.attempts).toBe(0);
    expect((await storage.outbox.backlog()).pending).toBe(3);
  });

  it('lets only the lease holder publish when two replicas run, and each event goes out once', async () => {
    const first = createFakePublisher();
    const second = createFakePublisher();
    const relayA = startRelay(first, {}, 'replica-a');
    const relayB = startRelay(second, {}, 'replica-b');
    await waitFor(async () =>
      [relayA.state(), relayB.state()].sort().join() === 'publishing,standby' ? true : undefined,
    );
    const events = await appendSamples(20);
    await waitFor(async () =>
      first.published.length + second.published.length >= 20 ? true : undefined,
    );
    const ids = [...first.published, ...second.published].map(idOf);
    expect(ids.sort()).toEqual(events.map((event) => event.id).sort());
    expect(Math.min(first.published.length, second.published.length)).toBe(0);
  });

  it('lets another replica take over when the lease holder stops', async () => {
    const first = createFakePublisher();
    const relayA = startRelay(first, {}, 'replica-a');
    await waitFor(async () => (relayA.state() === 'publishing' ? true : undefined));
    const second = createFakePublisher();
    const relayB = startRelay(second, {}, 'replica-b');
    await waitFor(async () => (relayB.state() === 'standby' ? true : undefined));

    await relayA.stop();
    const events = await appendSamples(4);
    await untilPublished(second, 4);
    expect(second.published.map(idOf)).toEqual(events.map((event) => event.id));
    expect(await storage.leases.get(RELAY_LEASE)).toMatchObject({ holder: 'replica-b' });
  });

  it('hands the lease to another replica after failing for a while', async () => {
    const events = await appendSamples(3);
    const broken = createFakePublisher();
    broken.fail(true);
    startRelay(broken, { handoverAfterMs: 50, standbyPollMs: 200 }, 'replica-a');
    await waitFor(async () => (broken.attempts > 0 ? true : undefined));
    // Failing for longer than handoverAfterMs: its next failure gives the lease up.
    clock.advance(50);
    const healthy = createFakePublisher();
    startRelay(healthy, { standbyPollMs: 10 }, 'replica-b');
    await untilPublished(healthy, 3);
    expect(healthy.published.map(idOf)).toEqual(events.map((event) => event.id));
  });

  it('flushes pending events when stopped with flush, and gives the lease up', async () => {
    const publisher = createFakePublisher();
    const relay = startRelay(publisher, { pollIntervalMs: 60_000 });
    await waitFor(async () => (relay.state() === 'publishing' ? true : undefined));
    const events = await appendSamples(7);
    await relay.stop({ flush: true });
    expect(publisher.published.map(idOf)).toEqual(events.map((event) => event.id));
    expect(relay.state()).toBe('stopped');
    expect(await storage.leases.get(RELAY_LEASE)).toBeUndefined();
  });

  it('prunes published events older than the retention and keeps pending ones', async () => {
    const old = await appendSamples(2);
    await storage.outbox.markPublished(
      old.map((event) => event.id),
      clock() - 120_000,
    );
    const publisher = createFakePublisher();
    publisher.fail(true);
    startRelay(publisher, { retentionMs: 60_000 });
    const pending = await appendSamples(1);
    await waitFor(async () =>
      (await storage.outbox.listRecent({ limit: 10 })).length === 1 ? true : undefined,
    );
    expect((await storage.outbox.listRecent({ limit: 10 }))[0]?.id).toBe(pending[0]!.id);
  });
});
