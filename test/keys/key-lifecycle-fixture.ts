import { randomBytes } from 'node:crypto';

import { pino } from 'pino';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { KeySchedule } from '../../keys/key-schedule.ts';
import { buildKeyLifecycle, type KeyLifecycle } from '../../src/composition/keys-component.ts';
import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, type TestClock } from '../contracts/storage-fixture.ts';

export const SECOND = 1000;
export const DAY = 86_400 * SECOND;

/** The default schedule: 30-day rotation, 20 min lead, 15 s poll, 1 day tokens, 10 min grace. */
export const DEFAULT_SCHEDULE: KeySchedule = {
  rotationIntervalMs: 30 * DAY,
  publicationLeadMs: 1200 * SECOND,
  propagationMs: 15 * SECOND,
  maxTokenLifetimeMs: DAY,
  retirementGraceMs: 600 * SECOND,
};

export const LEASE_TTL_MS = 30 * SECOND;

/** One replica's view of the key lifecycle: its own KEK, lease holder id and reconciler. */
export type TestReplica = KeyLifecycle;

/** A replica wired exactly as the server wires its own (src/composition/keys-component.ts). */
export function createReplica(
  storage: Storage,
  clock: TestClock,
  options: { kek?: Buffer; holderId?: string; schedule?: KeySchedule } = {},
): TestReplica {
  return buildKeyLifecycle({
    storage,
    keyEncryptionKey: options.kek ?? randomBytes(32),
    newEvent: createEventFactory({
      source: 'https://id.example.com',
      clock,
      onInvalid: throwInvalidEvent,
    }),
    schedule: options.schedule ?? DEFAULT_SCHEDULE,
    clock,
    logger: pino({ level: 'silent' }),
    holderId: options.holderId ?? 'replica-a',
    leaseTtlMs: LEASE_TTL_MS,
  });
}

export function openTestStore(path = ':memory:'): { storage: Storage; clock: TestClock } {
  const clock = createTestClock();
  return { storage: openSqliteStorage({ path, clock }), clock };
}
