import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Storage } from '../../src/ports/storage.ts';
import { testEvent } from './oidc-model-store.contract.ts';
import { createTestClock, type OpenTestStorage } from './storage-fixture.ts';

export function describeOutboxStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`OutboxStore contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    it('lists appended events newest first, pending, with increasing sequence', async () => {
      const first = testEvent('a');
      const second = { ...testEvent('b'), type: 'tessera.client.created' };
      await storage.outbox.append([first, second]);
      const listed = await storage.outbox.listRecent({ limit: 10 });
      expect(listed.map((e) => e.id)).toEqual([second.id, first.id]);
      expect(listed[0]).toMatchObject({ ...second, publishedAt: undefined });
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
  });
}
