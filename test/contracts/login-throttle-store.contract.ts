import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { FailureWindow } from '../../src/ports/accounts.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, type OpenTestStorage } from './storage-fixture.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

const at = (now: number, retainUntil = now + 15 * MINUTE) => ({ now, retainUntil });

/** A change that counts one more (from 1 when there is none) and answers the stored window. */
const countOne = (now: number) => (current: FailureWindow | undefined) => {
  const next = { count: (current?.count ?? 0) + 1, firstAt: current?.firstAt ?? now, lastAt: now };
  return { next, result: next };
};

/** A change that counts one more only while fewer than `slots` are counted: a reservation. */
const takeSlot = (slots: number, now: number) => (current: FailureWindow | undefined) => ({
  next: (current?.count ?? 0) < slots ? countOne(now)(current).next : undefined,
  result: (current?.count ?? 0) < slots,
});

const refuse = (current: FailureWindow | undefined) => ({ next: undefined, result: current });

export function describeLoginThrottleStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`LoginThrottleStore contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    const throttle = () => storage.loginThrottle;

    it('stores the window a change makes of the current one and answers its result', async () => {
      expect(await throttle().changeWindow('ip:a', countOne(T0), at(T0))).toEqual({
        count: 1,
        firstAt: T0,
        lastAt: T0,
      });
      expect(await throttle().changeWindow('ip:a', countOne(T0 + MINUTE), at(T0 + MINUTE))).toEqual(
        { count: 2, firstAt: T0, lastAt: T0 + MINUTE },
      );
      expect(await throttle().get('ip:a', T0 + MINUTE)).toEqual({
        count: 2,
        firstAt: T0,
        lastAt: T0 + MINUTE,
      });
    });

    it('stores nothing when a change makes no window', async () => {
      await throttle().changeWindow('ip:a', countOne(T0), at(T0));
      expect(await throttle().changeWindow('ip:a', refuse, at(T0))).toEqual({
        count: 1,
        firstAt: T0,
        lastAt: T0,
      });
      expect(await throttle().changeWindow('ip:none', refuse, at(T0))).toBeUndefined();
      expect(await throttle().get('ip:a', T0)).toEqual({ count: 1, firstAt: T0, lastAt: T0 });
      expect(await throttle().get('ip:none', T0)).toBeUndefined();
    });

    it('stores a smaller window over a larger one, down to a count of zero', async () => {
      await throttle().changeWindow('ip:a', countOne(T0), at(T0));
      await throttle().changeWindow('ip:a', countOne(T0 + 5), at(T0 + 5));
      const handBack = (current: FailureWindow | undefined) => ({
        next: current && { ...current, count: current.count - 1, lastAt: T0 },
        result: undefined,
      });
      await throttle().changeWindow('ip:a', handBack, at(T0 + 6));
      expect(await throttle().get('ip:a', T0 + 6)).toEqual({ count: 1, firstAt: T0, lastAt: T0 });
      await throttle().changeWindow('ip:a', handBack, at(T0 + 6));
      expect(await throttle().get('ip:a', T0 + 6)).toEqual({ count: 0, firstAt: T0, lastAt: T0 });
    });

    it('keeps keys apart', async () => {
      await throttle().changeWindow('ip:a', countOne(T0), at(T0));
      await throttle().changeWindow('ip:a', countOne(T0), at(T0));
      expect((await throttle().changeWindow('user:b', countOne(T0), at(T0))).count).toBe(1);
      expect(await throttle().get('ip:c', T0)).toBeUndefined();
    });

    it('hands a change nothing for a record past its retention', async () => {
      await throttle().changeWindow('ip:a', countOne(T0), at(T0, T0 + 10));
      expect(await throttle().get('ip:a', T0 + 9)).toBeDefined();
      expect(await throttle().get('ip:a', T0 + 10)).toBeUndefined();
      expect(await throttle().changeWindow('ip:a', countOne(T0 + 10), at(T0 + 10))).toEqual({
        count: 1,
        firstAt: T0 + 10,
        lastAt: T0 + 10,
      });
    });

    it('never shortens the retention a record was given', async () => {
      await throttle().changeWindow('ip:a', countOne(T0), at(T0, T0 + 100));
      await throttle().changeWindow('ip:a', countOne(T0 + 1), at(T0 + 1, T0 + 50));
      expect(await throttle().get('ip:a', T0 + 99)).toEqual({
        count: 2,
        firstAt: T0,
        lastAt: T0 + 1,
      });
    });

    it('applies every one of many concurrent changes of one key, none lost', async () => {
      await Promise.all(
        Array.from({ length: 40 }, () => throttle().changeWindow('ip:a', countOne(T0), at(T0))),
      );
      expect((await throttle().get('ip:a', T0))?.count).toBe(40);
    });

    it('grants exactly the free slots to many concurrent reservations of one key', async () => {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => throttle().changeWindow('ip:a', takeSlot(5, T0), at(T0))),
      );
      expect(answers.filter(Boolean)).toHaveLength(5);
      expect((await throttle().get('ip:a', T0))?.count).toBe(5);
    });

    it('grants exactly the free slots to reservations from two connections to one store', async () => {
      const other = await open(createTestClock(), storage);
      try {
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            (index % 2 === 0 ? storage : other).loginThrottle.changeWindow(
              'ip:a',
              takeSlot(5, T0),
              at(T0),
            ),
          ),
        );
        expect(answers.filter(Boolean)).toHaveLength(5);
        expect((await other.loginThrottle.get('ip:a', T0))?.count).toBe(5);
      } finally {
        await other.close();
      }
    });

    it('forgets a cleared key', async () => {
      await throttle().changeWindow('ip:a', countOne(T0), at(T0));
      await throttle().clear('ip:a');
      expect(await throttle().get('ip:a', T0)).toBeUndefined();
      await throttle().clear('ip:never-seen');
    });

    it('prunes records past their retention and keeps the others', async () => {
      await throttle().changeWindow('ip:old', countOne(T0), at(T0, T0 + 10));
      await throttle().changeWindow('ip:new', countOne(T0), at(T0));
      expect(await throttle().pruneExpired(T0 + 10)).toBe(1);
      expect(await throttle().get('ip:new', T0 + 10)).toBeDefined();
    });
  });
}
