import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Storage } from '../../src/ports/storage.ts';
import {
  createTestClock,
  testEvent,
  type OpenTestStorage,
  type TestClock,
} from './storage-fixture.ts';

export function describeOutboxStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`OutboxStore contract (${adapter})`, () => {
    let storage: Storage;
    let clock: TestClock;
    beforeEach(async () => {
      clock = createTestClock();
      storage = await open(clock);
    });
    afterEach(async () => {
      await storage.close();
    });

    const ids = (events: readonly { id: string }[]) => events.map((event) => event.id);

    it('lists appended events newest first, pending, with increasing sequence', async () => {
      const first = testEvent('a');
      const second = { ...testEvent('b'), type: 'tessera.client.created' };
      await storage.outbox.append([first, second]);
      const listed = await storage.outbox.listRecent({ limit: 10 });
      expect(listed.map((e) => e.id)).toEqual([second.id, first.id]);
      expect(listed[0]).toMatchObject({ ...second, publishedAt: undefined, createdAt: clock() });
      expect(listed[0]!.sequence).toBeGreaterThan(listed[1]!.sequence);
    });

    it('filters by type and honours the limit', async () => {
      const events = [testEvent(), { ...testEvent(), type: 'tessera.client.created' }, testEvent()];
      await storage.outbox.append(events);
      const revoked = await storage.outbox.listRecent({ type: 'tessera.token.revoked', limit: 10 });
      expect(revoked.map((e) => e.id)).toEqual([events[2]!.id, events[0]!.id]);
      expect(await storage.outbox.listRecent({ limit: 1 })).toHaveLength(1);
    });

    it('keeps one copy of an event appended twice', async () => {
      const event = testEvent();
      await storage.outbox.append([event]);
      await storage.outbox.append([event]);
      expect(await storage.outbox.listRecent({ limit: 10 })).toHaveLength(1);
    });

    it('keeps every event of many concurrent appends, each with its own sequence', async () => {
      const batches = Array.from({ length: 8 }, () => [testEvent(), testEvent(), testEvent()]);
      await Promise.all(batches.map((batch) => storage.outbox.append(batch)));
      const listed = await storage.outbox.listRecent({ limit: 100 });
      expect(ids(listed).sort()).toEqual(ids(batches.flat()).sort());
      expect(new Set(listed.map((event) => event.sequence)).size).toBe(listed.length);
    });

    it('lists pending events oldest first, up to the limit', async () => {
      const events = [testEvent('a'), testEvent('b'), testEvent('a')];
      await storage.outbox.append(events.slice(0, 2));
      await storage.outbox.append(events.slice(2));
      const pending = await storage.outbox.listPending({ limit: 10, appendedUpTo: clock() });
      expect(ids(pending)).toEqual(ids(events));
      expect(pending[0]).toMatchObject({ ...events[0], publishedAt: undefined });
      const firstTwo = await storage.outbox.listPending({ limit: 2, appendedUpTo: clock() });
      expect(ids(firstTwo)).toEqual(ids(events.slice(0, 2)));
    });

    it('leaves events appended after the settle point out of the pending list', async () => {
      const settled = testEvent();
      await storage.outbox.append([settled]);
      const settlePoint = clock();
      clock.advance(1);
      await storage.outbox.append([testEvent()]);
      const pending = await storage.outbox.listPending({ limit: 10, appendedUpTo: settlePoint });
      expect(ids(pending)).toEqual([settled.id]);
    });

    it('no longer lists published events as pending, and keeps their publication time', async () => {
      const [first, second, third] = [testEvent(), testEvent(), testEvent()];
      await storage.outbox.append([first, second, third]);
      clock.advance(500);
      await storage.outbox.markPublished([first.id, third.id, 'absent-id'], clock());
      const pending = await storage.outbox.listPending({ limit: 10, appendedUpTo: clock() });
      expect(ids(pending)).toEqual([second.id]);
      const [listed] = await storage.outbox.listRecent({ limit: 1 });
      expect(listed).toMatchObject({ id: third.id, publishedAt: clock() });
    });

    it('keeps the first publication time when an event is marked twice', async () => {
      const event = testEvent();
      await storage.outbox.append([event]);
      const firstTime = clock();
      await storage.outbox.markPublished([event.id], firstTime);
      clock.advance(1000);
      await storage.outbox.markPublished([event.id], clock());
      const [listed] = await storage.outbox.listRecent({ limit: 1 });
      expect(listed?.publishedAt).toBe(firstTime);
    });

    it('reports the backlog: how many are pending and when the oldest was appended', async () => {
      expect(await storage.outbox.backlog()).toEqual({ pending: 0, oldestPendingAt: undefined });
      const oldest = testEvent();
      await storage.outbox.append([oldest]);
      const appendedAt = clock();
      clock.advance(2000);
      const newer = [testEvent(), testEvent()];
      await storage.outbox.append(newer);
      expect(await storage.outbox.backlog()).toEqual({ pending: 3, oldestPendingAt: appendedAt });
      await storage.outbox.markPublished([oldest.id], clock());
      expect(await storage.outbox.backlog()).toEqual({ pending: 2, oldestPendingAt: clock() });
    });

    it('prunes events published before the cut-off and keeps pending ones', async () => {
      const [old, recent, pending] = [testEvent(), testEvent(), testEvent()];
      await storage.outbox.append([old, recent, pending]);
      await storage.outbox.markPublished([old.id], clock());
      clock.advance(10_000);
      await storage.outbox.markPublished([recent.id], clock());
      expect(await storage.outbox.prune({ before: clock(), unpublished: false })).toBe(1);
      expect(ids(await storage.outbox.listRecent({ limit: 10 }))).toEqual([pending.id, recent.id]);
    });

    it('prunes old unpublished events too when asked (no relay runs)', async () => {
      const [old, fresh] = [testEvent(), testEvent()];
      await storage.outbox.append([old]);
      clock.advance(10_000);
      await storage.outbox.append([fresh]);
      expect(await storage.outbox.prune({ before: clock(), unpublished: true })).toBe(1);
      expect(ids(await storage.outbox.listRecent({ limit: 10 }))).toEqual([fresh.id]);
    });
  });
}
