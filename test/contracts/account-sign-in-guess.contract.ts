import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { AccountRecord } from '../../src/ports/accounts.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { account, LOCKED, takeSlot } from './account-store.contract.ts';
import { createTestClock, testEvent, type OpenTestStorage } from './storage-fixture.ts';

/**
 * AccountStore.changeSignInState given the record its caller read (`guess`): sign-in takes its
 * turn without reading the account twice (services/sign-in-reservations.ts), and a guess that
 * is no longer the stored version never lets a change through that the stored one would not.
 */
export function describeAccountSignInGuessContract(adapter: string, open: OpenTestStorage): void {
  describe(`AccountStore sign-in state guess contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    /** A change that stores LOCKED and answers the version it was decided on, noting each call. */
    const lockNoting = (seen: AccountRecord[]) => (current: AccountRecord) => {
      seen.push(current);
      return { next: LOCKED, result: current.version };
    };

    const readAccount = async (id: string) => {
      const record = await storage.accounts.get(id);
      if (!record) throw new Error(`${id} is not stored`);
      return record;
    };

    it('stores a change decided on a fresh guess, with its events, deciding it once', async () => {
      await storage.accounts.insert(account('acc_1', { name: 'Alice' }));
      const guess = await readAccount('acc_1');
      const event = testEvent('acc_1');
      const seen: AccountRecord[] = [];
      const answer = await storage.accounts.changeSignInState('acc_1', lockNoting(seen), {
        guess,
        events: [event],
      });
      expect(answer).toBe(1);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBe(guess);
      expect(await storage.accounts.get('acc_1')).toEqual({ ...guess, ...LOCKED, version: 2 });
      const ids = (await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id);
      expect(ids).toEqual([event.id]);
    });

    it('decides a change again on the stored record when the guess is stale, keeping what changed since', async () => {
      await storage.accounts.insert(account('acc_1'));
      const guess = await readAccount('acc_1');
      const renamed = account('acc_1', { name: 'renamed meanwhile', version: 2 });
      expect(await storage.accounts.update(renamed)).toBe(true);
      const seen: AccountRecord[] = [];
      const event = testEvent('acc_1');
      const answer = await storage.accounts.changeSignInState('acc_1', lockNoting(seen), {
        guess,
        events: [event],
      });
      expect(answer).toBe(2);
      expect(seen.at(-1)).toEqual(renamed);
      expect(await storage.accounts.get('acc_1')).toEqual({ ...renamed, ...LOCKED, version: 3 });
      const ids = (await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id);
      expect(ids).toEqual([event.id]);
    });

    it('refuses on the stored sign-in state when a stale guess still shows a free turn', async () => {
      await storage.accounts.insert(account('acc_1'));
      const guess = await readAccount('acc_1');
      expect(await storage.accounts.changeSignInState('acc_1', takeSlot(1))).toBe(true);
      const event = testEvent('acc_1');
      const answer = await storage.accounts.changeSignInState('acc_1', takeSlot(1), {
        guess,
        events: [event],
      });
      expect(answer).toBe(false);
      expect(await storage.accounts.get('acc_1')).toMatchObject({
        failedLogins: { count: 1 },
        version: 2,
      });
      expect(await storage.outbox.listRecent({ limit: 5 })).toEqual([]);
    });

    it('grants a turn on the stored sign-in state when a stale guess shows none free', async () => {
      await storage.accounts.insert(account('acc_1'));
      await storage.accounts.changeSignInState('acc_1', takeSlot(1));
      const guess = await readAccount('acc_1');
      await storage.accounts.changeSignInState('acc_1', () => ({
        next: { failedLogins: undefined, lockedUntil: undefined },
        result: undefined,
      }));
      const answer = await storage.accounts.changeSignInState('acc_1', takeSlot(1), { guess });
      expect(answer).toBe(true);
      expect(await storage.accounts.get('acc_1')).toMatchObject({
        failedLogins: { count: 1 },
        version: 4,
      });
    });

    it('answers undefined for a guess of an account that is not stored, and writes nothing', async () => {
      const event = testEvent('acc_x');
      const answer = await storage.accounts.changeSignInState('acc_x', lockNoting([]), {
        guess: account('acc_x'),
        events: [event],
      });
      expect(answer).toBeUndefined();
      expect(await storage.accounts.get('acc_x')).toBeUndefined();
      expect(await storage.outbox.listRecent({ limit: 5 })).toEqual([]);
    });

    it('decides on the changed account, not on a guess of another one', async () => {
      await storage.accounts.insert(account('acc_1'));
      await storage.accounts.insert(account('acc_2', { name: 'Bob' }));
      const seen: AccountRecord[] = [];
      await storage.accounts.changeSignInState('acc_1', lockNoting(seen), {
        guess: await readAccount('acc_2'),
      });
      expect(seen.map((record) => record.id)).toEqual(['acc_1']);
      expect(await storage.accounts.get('acc_2')).toEqual(account('acc_2', { name: 'Bob' }));
    });

    it('grants exactly the free slots to many concurrent changes holding the same guess', async () => {
      await storage.accounts.insert(account('acc_1'));
      const guess = await readAccount('acc_1');
      const other = await open(createTestClock(), storage);
      try {
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            (index % 2 === 0 ? storage : other).accounts.changeSignInState('acc_1', takeSlot(5), {
              guess,
            }),
          ),
        );
        expect(answers.filter(Boolean)).toHaveLength(5);
        expect(await other.accounts.get('acc_1')).toMatchObject({
          failedLogins: { count: 5 },
          version: 6,
        });
      } finally {
        await other.close();
      }
    });
  });
}
