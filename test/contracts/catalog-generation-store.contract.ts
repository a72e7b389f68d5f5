import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Storage } from '../../src/ports/storage.ts';
import { client, resourceServer } from './record-stores.contract.ts';
import { createTestClock, type OpenTestStorage } from './storage-fixture.ts';

export function describeCatalogGenerationStoreContract(
  adapter: string,
  open: OpenTestStorage,
): void {
  describe(`CatalogGenerationStore contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    /** Runs each write and returns the generation read before the first and after each one. */
    const generationsAround = async (writes: (() => Promise<boolean>)[]) => {
      const seen = [await storage.catalogGeneration.read()];
      for (const write of writes) {
        expect(await write()).toBe(true);
        seen.push(await storage.catalogGeneration.read());
      }
      return seen;
    };

    it('moves to a value never seen before on every client insert, update and delete', async () => {
      const seen = await generationsAround([
        () => storage.clients.insert(client('cl_1')),
        () => storage.clients.update(client('cl_1', { secrets: [], version: 2 })),
        () => storage.clients.delete('cl_1'),
        () => storage.clients.insert(client('cl_1')),
      ]);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('moves to a value never seen before on every resource-server insert, update and delete', async () => {
      const seen = await generationsAround([
        () => storage.resourceServers.insert(resourceServer('rs_1', 'https://api.example.com')),
        () =>
          storage.resourceServers.update(
            resourceServer('rs_1', 'https://api.example.com', { scopes: ['read'], version: 2 }),
          ),
        () => storage.resourceServers.delete('rs_1'),
      ]);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('stays put on reads and on refused writes', async () => {
      await storage.clients.insert(client('cl_1'));
      await storage.resourceServers.insert(resourceServer('rs_1', 'https://api.example.com'));
      const before = await storage.catalogGeneration.read();

      await storage.clients.get('cl_1');
      await storage.clients.list({ limit: 10 });
      await storage.resourceServers.getByAudience('https://api.example.com');
      expect(await storage.clients.insert(client('cl_1'))).toBe(false);
      expect(await storage.clients.update(client('cl_1', { version: 5 }))).toBe(false);
      expect(await storage.clients.delete('cl_absent')).toBe(false);
      expect(
        await storage.resourceServers.insert(resourceServer('rs_2', 'https://api.example.com')),
      ).toBe(false);
      expect(await storage.resourceServers.delete('rs_absent')).toBe(false);

      expect(await storage.catalogGeneration.read()).toBe(before);
    });

    it('ignores writes outside the catalog', async () => {
      const before = await storage.catalogGeneration.read();
      await storage.leases.acquire('keys', 'h1', 1000);
      expect(await storage.catalogGeneration.read()).toBe(before);
    });

    it('moves once concurrent writers are done, whatever their interleaving', async () => {
      const before = await storage.catalogGeneration.read();
      const inserted = await Promise.all(
        Array.from({ length: 8 }, (_, i) => storage.clients.insert(client(`cl_${i}`))),
      );
      expect(inserted.every(Boolean)).toBe(true);
      expect(await storage.catalogGeneration.read()).not.toBe(before);
    });
  });
}
