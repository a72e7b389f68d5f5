import { randomUUID } from 'node:crypto';

import type { OutboxEvent } from '../../src/ports/outbox.ts';
import type { Storage } from '../../src/ports/storage.ts';

/** A clock tests move by hand: no sleeping for expiry. */
export interface TestClock {
  (): number;
  advance(ms: number): void;
}

export function createTestClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

/**
 * How a contract suite gets a fresh, empty store of the adapter under test; given `sharing`, a
 * second connection to that same store instead, as another process serving it would have.
 */
export type OpenTestStorage = (clock: TestClock, sharing?: Storage) => Promise<Storage>;

/** A valid outbox event with a fresh id, keyed by `subject`. */
export function testEvent(subject = 'subject-1'): OutboxEvent {
  return {
    id: randomUUID(),
    type: 'tessera.token.revoked',
    source: 'http://localhost',
    subject,
    time: new Date(0).toISOString(),
    data: { jti: 'x' },
    key: subject,
  };
}
