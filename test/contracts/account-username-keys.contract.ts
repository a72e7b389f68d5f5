import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Storage } from '../../src/ports/storage.ts';
import { account } from './account-store.contract.ts';
import { createTestClock, testEvent, type OpenTestStorage } from './storage-fixture.ts';

/** AccountStore's username skeletons and the re-key (services/usernames/username-rekey.ts). */
export function describeAccountUsernameKeysContract(adapter: string, open: OpenTestStorage): void {
  describe(`AccountStore username keys contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    const legacy = (id: string, username: string) =>
      account(id, { username, usernameKey: username, usernameSkeleton: undefined });

    it('finds an account by its username skeleton', async () => {
      const record = account('acc_1', { usernameSkeleton: 'allce' });
      await storage.accounts.insert(record);
      expect(await storage.accounts.getByUsernameSkeleton('allce')).toEqual(record);
      expect(await storage.accounts.getByUsernameSkeleton('alice')).toBeUndefined();
    });

    it('refuses a second account with the same skeleton under another key, and records no event', async () => {
      await storage.accounts.insert(
        account('acc_1', { usernameKey: 'alice', usernameSkeleton: 'allce' }),
      );
      const event = testEvent();
      const lookalike = account('acc_2', { usernameKey: 'аlice', usernameSkeleton: 'allce' });
      expect(await storage.accounts.insert(lookalike, { events: [event] })).toBe(false);
      expect(await storage.accounts.get('acc_2')).toBeUndefined();
      const ids = (await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id);
      expect(ids).not.toContain(event.id);
    });

    it('lets exactly one of several concurrent inserts of confusable usernames succeed', async () => {
      const inserts = [
        'alice',
        'аlice',
        'aIice',
        'a1ice',
        'аӏісе',
        'ALICE-x',
        'alіce',
        'ａlice',
      ].map((key, index) =>
        account(`acc_${index}`, { usernameKey: key, usernameSkeleton: 'allce' }),
      );
      const results = await Promise.all(inserts.map((record) => storage.accounts.insert(record)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = inserts[results.indexOf(true)]!;
      expect(await storage.accounts.getByUsernameSkeleton('allce')).toEqual(winner);
    });

    it('stores any number of accounts without a skeleton and lists them, in id order, a page at a time', async () => {
      for (const id of ['acc_c', 'acc_a', 'acc_b'])
        await storage.accounts.insert(legacy(id, `user ${id}`));
      await storage.accounts.insert(account('acc_with', { usernameSkeleton: 'with' }));
      const first = await storage.accounts.listWithoutSkeleton({ limit: 2 });
      expect(first.map((a) => a.id)).toEqual(['acc_a', 'acc_b']);
      expect(first[0]).toEqual(legacy('acc_a', 'user acc_a'));
      const second = await storage.accounts.listWithoutSkeleton({ after: 'acc_b', limit: 2 });
      expect(second.map((a) => a.id)).toEqual(['acc_c']);
    });

    it('refuses an update that would change the username key or skeleton', async () => {
      await storage.accounts.insert(account('acc_1', { usernameSkeleton: 'one' }));
      expect(
        await storage.accounts.update(account('acc_1', { usernameSkeleton: 'two', version: 2 })),
      ).toBe(false);
      expect(
        await storage.accounts.update(
          account('acc_1', { usernameSkeleton: undefined, version: 2 }),
        ),
      ).toBe(false);
      expect((await storage.accounts.get('acc_1'))?.usernameSkeleton).toBe('one');
      await storage.accounts.insert(legacy('acc_2', 'two'));
      expect(
        await storage.accounts.update({ ...legacy('acc_2', 'two'), disabled: true, version: 2 }),
      ).toBe(true);
    });

    it('re-keys an account over the version it was based on: new key and skeleton, found by them', async () => {
      await storage.accounts.insert(legacy('acc_1', 'h\u0331x'));
      const rekeyed = {
        ...legacy('acc_1', 'h\u0331x'),
        usernameKey: 'ẖx',
        usernameSkeleton: 'h\u0331x',
        version: 2,
      };
      expect(await storage.accounts.rekeyUsername(rekeyed)).toBe('saved');
      expect(await storage.accounts.get('acc_1')).toEqual(rekeyed);
      expect(await storage.accounts.getByUsernameKey('ẖx')).toEqual(rekeyed);
      expect(await storage.accounts.getByUsernameKey('h\u0331x')).toBeUndefined();
      expect(await storage.accounts.getByUsernameSkeleton('h\u0331x')).toEqual(rekeyed);
      expect(await storage.accounts.listWithoutSkeleton({ limit: 10 })).toEqual([]);
      // Based on an outdated version, or on an absent account: nothing written.
      expect(await storage.accounts.rekeyUsername({ ...rekeyed, usernameKey: 'other' })).toBe(
        'changed',
      );
      expect(await storage.accounts.rekeyUsername(legacy('acc_x', 'x'))).toBe('changed');
      expect((await storage.accounts.get('acc_1'))?.usernameKey).toBe('ẖx');
    });

    it('refuses a re-key onto a key or skeleton another account holds, writing nothing', async () => {
      await storage.accounts.insert(
        account('acc_1', { usernameKey: 'alice', usernameSkeleton: 'allce' }),
      );
      await storage.accounts.insert(legacy('acc_2', 'other'));
      const base = { ...legacy('acc_2', 'other'), version: 2 };
      expect(
        await storage.accounts.rekeyUsername({
          ...base,
          usernameKey: 'alice',
          usernameSkeleton: 'fresh',
        }),
      ).toBe('taken');
      expect(
        await storage.accounts.rekeyUsername({
          ...base,
          usernameKey: 'fresh',
          usernameSkeleton: 'allce',
        }),
      ).toBe('taken');
      expect(await storage.accounts.get('acc_2')).toEqual(legacy('acc_2', 'other'));
      expect(
        await storage.accounts.rekeyUsername({
          ...base,
          usernameKey: 'fresh',
          usernameSkeleton: undefined,
        }),
      ).toBe('saved');
      expect((await storage.accounts.listWithoutSkeleton({ limit: 5 })).map((a) => a.id)).toEqual([
        'acc_2',
      ]);
    });
  });
}
