import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { AccountFactor } from '../../src/ports/account-factors.ts';
import type { Storage } from '../../src/ports/storage.ts';
import {
  createTestClock,
  testEvent,
  type OpenTestStorage,
  type TestClock,
} from './storage-fixture.ts';

export function describeAccountFactorStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`AccountFactorStore contract (${adapter})`, () => {
    let storage: Storage;
    let clock: TestClock;

    beforeEach(async () => {
      clock = createTestClock();
      storage = await open(clock);
    });
    afterEach(async () => {
      await storage.close();
    });

    const factors = () => storage.accountFactors;
    const recordedSubjects = async () =>
      (await storage.outbox.listRecent({ limit: 100 })).map((event) => event.subject).sort();
    const factor = (overrides: Partial<AccountFactor> = {}): AccountFactor => ({
      id: 'cred-1',
      accountId: 'acc_1',
      kind: 'passkey',
      name: 'Laptop',
      data: { publicKey: 'pk', transports: ['internal'] },
      counter: 0,
      createdAt: clock(),
      lastUsedAt: undefined,
      ...overrides,
    });

    it('stores a factor and reads it back whole, with its events', async () => {
      const stored = factor();
      expect(await factors().insert(stored, { events: [testEvent('added')] })).toBe(true);
      expect(await factors().get('cred-1')).toEqual(JSON.parse(JSON.stringify(stored)));
      expect(await recordedSubjects()).toEqual(['added']);
    });

    it('refuses an id another account holds already, and records no event', async () => {
      await factors().insert(factor());
      expect(
        await factors().insert(factor({ accountId: 'acc_2' }), { events: [testEvent('dup')] }),
      ).toBe(false);
      expect((await factors().get('cred-1'))?.accountId).toBe('acc_1');
      expect(await recordedSubjects()).toEqual([]);
    });

    it("lists an account's factors oldest first, and no other account's", async () => {
      await factors().insert(factor({ id: 'b', createdAt: clock() + 2 }));
      await factors().insert(factor({ id: 'a', createdAt: clock() + 1 }));
      await factors().insert(factor({ id: 'c', accountId: 'acc_2' }));
      expect((await factors().listByAccount('acc_1')).map((f) => f.id)).toEqual(['a', 'b']);
      expect(await factors().listByAccount('acc_3')).toEqual([]);
    });

    it('records a use only over the counter it was read at', async () => {
      await factors().insert(factor({ counter: 5 }));
      expect(await factors().recordUse('cred-1', 4, { counter: 6, usedAt: 10 })).toBe(false);
      expect(
        await factors().recordUse('cred-1', 5, { counter: 7, usedAt: 11, data: { x: 1 } }),
      ).toBe(true);
      const used = await factors().get('cred-1');
      expect(used).toMatchObject({ counter: 7, lastUsedAt: 11, data: { x: 1 }, name: 'Laptop' });
      expect(await factors().recordUse('absent', 0, { counter: 1, usedAt: 1 })).toBe(false);
    });

    it('lets exactly one of many concurrent uses at the same counter through', async () => {
      await factors().insert(factor({ counter: 3 }));
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          factors().recordUse(
            'cred-1',
            3,
            { counter: 4, usedAt: n },
            { events: [testEvent(`u${n}`)] },
          ),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await recordedSubjects()).toHaveLength(1);
      expect((await factors().get('cred-1'))?.counter).toBe(4);
    });

    it('deletes a factor only for its own account', async () => {
      await factors().insert(factor());
      expect(await factors().delete('acc_2', 'cred-1', { events: [testEvent('wrong')] })).toBe(
        false,
      );
      expect(await factors().delete('acc_1', 'cred-1', { events: [testEvent('removed')] })).toBe(
        true,
      );
      expect(await factors().get('cred-1')).toBeUndefined();
      expect(await factors().delete('acc_1', 'cred-1')).toBe(false);
      expect(await recordedSubjects()).toEqual(['removed']);
    });

    it("deletes all of an account's factors, and no other account's, with the events", async () => {
      await factors().insert(factor({ id: 'p' }));
      await factors().insert(factor({ id: 'totp:acc_1', kind: 'totp', name: undefined }));
      await factors().insert(factor({ id: 'other', accountId: 'acc_2' }));
      expect(await factors().deleteByAccount('acc_1', { events: [testEvent('reset')] })).toBe(2);
      expect(await factors().listByAccount('acc_1')).toEqual([]);
      expect(await factors().listByAccount('acc_2')).toHaveLength(1);
      expect(await recordedSubjects()).toEqual(['reset']);
    });

    it('is seen by another connection to the same store at once', async () => {
      const other = await open(clock, storage);
      try {
        await factors().insert(factor());
        expect((await other.accountFactors.get('cred-1'))?.name).toBe('Laptop');
        expect(await other.accountFactors.insert(factor({ accountId: 'acc_9' }))).toBe(false);
      } finally {
        await other.close();
      }
    });
  });
}
