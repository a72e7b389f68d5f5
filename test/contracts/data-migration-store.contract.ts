import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, type OpenTestStorage } from './storage-fixture.ts';

export function describeDataMigrationStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`DataMigrationStore contract (${adapter})`, () => {
    let storage: Storage;

    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    it('starts with no completed migration', async () => {
      expect(await storage.dataMigrations.completed()).toEqual(new Set());
    });

    it('remembers each completed migration by name', async () => {
      await storage.dataMigrations.markCompleted('first', 1);
      await storage.dataMigrations.markCompleted('second', 2);
      expect(await storage.dataMigrations.completed()).toEqual(new Set(['first', 'second']));
    });

    it('accepts the same name twice, also at once, as two replicas starting together would', async () => {
      await Promise.all([
        storage.dataMigrations.markCompleted('step', 1),
        storage.dataMigrations.markCompleted('step', 2),
      ]);
      await storage.dataMigrations.markCompleted('step', 3);
      expect(await storage.dataMigrations.completed()).toEqual(new Set(['step']));
    });
  });
}
