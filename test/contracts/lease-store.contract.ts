import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, type OpenTestStorage, type TestClock } from './storage-fixture.ts';

const TTL = 10_000;

export function describeLeaseStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`LeaseStore contract (${adapter})`, () => {
    let storage: Storage;
    let clock: TestClock;
    beforeEach(async () => {
      clock = createTestClock();
      storage = await open(clock);
    });
    afterEach(async () => {
      await storage.close();
    });

    it('grants a free lease and reports who holds it until when', async () => {
      const lease = await storage.leases.acquire('rotation', 'replica-a', TTL);
      expect(lease).toEqual({ name: 'rotation', holder: 'replica-a', expiresAt: clock() + TTL });
      expect(await storage.leases.get('rotation')).toEqual(lease);
    });

    it('refuses a running lease to another holder and leaves it unchanged', async () => {
      const held = await storage.leases.acquire('rotation', 'replica-a', TTL);
      clock.advance(TTL - 1);
      expect(await storage.leases.acquire('rotation', 'replica-b', TTL)).toBeUndefined();
      expect(await storage.leases.get('rotation')).toEqual(held);
    });

    it('lets exactly one of many concurrent callers take a free lease', async () => {
      const holders = Array.from({ length: 8 }, (_, index) => `replica-${index}`);
      const results = await Promise.all(
        holders.map((holder) => storage.leases.acquire('rotation', holder, TTL)),
      );
      const winners = results.filter((lease) => lease !== undefined);
      expect(winners).toHaveLength(1);
      expect((await storage.leases.get('rotation'))?.holder).toBe(winners[0]?.holder);
    });

    it('lets exactly one of many concurrent callers take over a lapsed lease', async () => {
      await storage.leases.acquire('rotation', 'crashed', TTL);
      clock.advance(TTL);
      const holders = Array.from({ length: 8 }, (_, index) => `replica-${index}`);
      const results = await Promise.all(
        holders.map((holder) => storage.leases.acquire('rotation', holder, TTL)),
      );
      const winners = results.filter((lease) => lease !== undefined);
      expect(winners).toHaveLength(1);
      expect((await storage.leases.get('rotation'))?.holder).toBe(winners[0]?.holder);
    });

    it('lets another holder take a lease its holder stopped renewing (a crashed holder)', async () => {
      await storage.leases.acquire('rotation', 'replica-a', TTL);
      clock.advance(TTL);
      expect(await storage.leases.get('rotation')).toBeUndefined();
      const taken = await storage.leases.acquire('rotation', 'replica-b', TTL);
      expect(taken).toEqual({ name: 'rotation', holder: 'replica-b', expiresAt: clock() + TTL });
    });

    it('extends the lease when its holder acquires it again', async () => {
      await storage.leases.acquire('rotation', 'replica-a', TTL);
      clock.advance(5_000);
      const again = await storage.leases.acquire('rotation', 'replica-a', TTL);
      expect(again?.expiresAt).toBe(clock() + TTL);
    });

    it('renews a running lease for its holder only', async () => {
      await storage.leases.acquire('rotation', 'replica-a', TTL);
      clock.advance(5_000);
      expect(await storage.leases.renew('rotation', 'replica-b', TTL)).toBeUndefined();
      const renewed = await storage.leases.renew('rotation', 'replica-a', TTL);
      expect(renewed).toEqual({ name: 'rotation', holder: 'replica-a', expiresAt: clock() + TTL });
      clock.advance(TTL - 1);
      expect(await storage.leases.acquire('rotation', 'replica-b', TTL)).toBeUndefined();
    });

    it('refuses to renew a lapsed lease, even one nobody took since', async () => {
      await storage.leases.acquire('rotation', 'replica-a', TTL);
      clock.advance(TTL);
      expect(await storage.leases.renew('rotation', 'replica-a', TTL)).toBeUndefined();
      expect(await storage.leases.renew('never-taken', 'replica-a', TTL)).toBeUndefined();
    });

    it('frees a released lease at once, and ignores a release by someone else', async () => {
      await storage.leases.acquire('rotation', 'replica-a', TTL);
      await storage.leases.release('rotation', 'replica-b');
      expect((await storage.leases.get('rotation'))?.holder).toBe('replica-a');
      await storage.leases.release('rotation', 'replica-a');
      expect(await storage.leases.get('rotation')).toBeUndefined();
      expect(await storage.leases.acquire('rotation', 'replica-b', TTL)).toBeDefined();
    });

    it('keeps leases of different names independent', async () => {
      expect(await storage.leases.acquire('rotation', 'replica-a', TTL)).toBeDefined();
      expect(await storage.leases.acquire('outbox-relay', 'replica-b', TTL)).toBeDefined();
      expect((await storage.leases.get('rotation'))?.holder).toBe('replica-a');
      expect((await storage.leases.get('outbox-relay'))?.holder).toBe('replica-b');
    });
  });
}
