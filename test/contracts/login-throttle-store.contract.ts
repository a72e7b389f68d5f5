import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, testEvent, type OpenTestStorage } from './storage-fixture.ts';

const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;
const T0 = Date.UTC(2026, 0, 1);

const at = (now: number) => ({ now, windowMs: WINDOW, retainUntil: now + WINDOW });

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

    it('counts failures inside one window from the first one', async () => {
      expect(await throttle().recordFailure('ip:a', at(T0))).toEqual({
        count: 1,
        firstAt: T0,
        lastAt: T0,
      });
      expect(await throttle().recordFailure('ip:a', at(T0 + MINUTE))).toEqual({
        count: 2,
        firstAt: T0,
        lastAt: T0 + MINUTE,
      });
      expect(await throttle().get('ip:a', T0 + MINUTE)).toEqual({
        count: 2,
        firstAt: T0,
        lastAt: T0 + MINUTE,
      });
    });

    it('keeps keys apart', async () => {
      await throttle().recordFailure('ip:a', at(T0));
      await throttle().recordFailure('ip:a', at(T0));
      expect((await throttle().recordFailure('user:b', at(T0))).count).toBe(1);
      expect(await throttle().get('ip:c', T0)).toBeUndefined();
    });

    it('starts a new window once the old one has passed', async () => {
      await throttle().recordFailure('ip:a', at(T0));
      await throttle().recordFailure('ip:a', at(T0 + MINUTE));
      const later = T0 + WINDOW + 1;
      expect(await throttle().recordFailure('ip:a', at(later))).toEqual({
        count: 1,
        firstAt: later,
        lastAt: later,
      });
    });

    it('treats a record past its retention as absent', async () => {
      await throttle().recordFailure('ip:a', { now: T0, windowMs: WINDOW, retainUntil: T0 + 10 });
      expect(await throttle().get('ip:a', T0 + 9)).toBeDefined();
      expect(await throttle().get('ip:a', T0 + 10)).toBeUndefined();
    });

    it('counts every one of many concurrent failures', async () => {
      await Promise.all(Array.from({ length: 20 }, () => throttle().recordFailure('ip:a', at(T0))));
      expect((await throttle().get('ip:a', T0))?.count).toBe(20);
    });

    it('forgets a cleared key', async () => {
      await throttle().recordFailure('ip:a', at(T0));
      await throttle().clear('ip:a');
      expect(await throttle().get('ip:a', T0)).toBeUndefined();
      await throttle().clear('ip:never-seen');
    });

    it('prunes records past their retention and keeps the others', async () => {
      await throttle().recordFailure('ip:old', { now: T0, windowMs: WINDOW, retainUntil: T0 + 10 });
      await throttle().recordFailure('ip:new', at(T0));
      expect(await throttle().pruneExpired(T0 + 10)).toBe(1);
      expect(await throttle().get('ip:new', T0 + 10)).toBeDefined();
    });

    it('records the events given with a failure', async () => {
      const event = testEvent('anonymous');
      await throttle().recordFailure('user:x', at(T0), { events: [event] });
      const ids = (await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id);
      expect(ids).toEqual([event.id]);
    });
  });
}
