import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { AccountRecord, SignInState } from '../../src/ports/accounts.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, testEvent, type OpenTestStorage } from './storage-fixture.ts';

export function account(id: string, overrides: Partial<AccountRecord> = {}): AccountRecord {
  const username = overrides.username ?? `user-${id}`;
  return {
    id,
    username,
    usernameKey: username.toLowerCase(),
    usernameSkeleton: `skeleton of ${username.toLowerCase()}`,
    email: undefined,
    emailVerified: false,
    name: undefined,
    disabled: false,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA',
    failedLogins: undefined,
    lockedUntil: undefined,
    createdAt: 1,
    updatedAt: 1,
    version: 1,
    ...overrides,
  };
}

export const LOCKED: SignInState = {
  failedLogins: { count: 3, firstAt: 10, lastAt: 20 },
  lockedUntil: 1000,
};

/** A sign-in state change that counts one more failure only while fewer than `slots` are counted. */
export const takeSlot = (slots: number) => (current: AccountRecord) => {
  const count = current.failedLogins?.count ?? 0;
  return {
    next:
      count < slots
        ? { failedLogins: { count: count + 1, firstAt: 1, lastAt: 1 }, lockedUntil: undefined }
        : undefined,
    result: count < slots,
  };
};

export function describeAccountStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`AccountStore contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    it('returns an inserted account exactly, by id and by username key', async () => {
      const record = account('acc_1', {
        username: 'Alice',
        usernameKey: 'alice',
        email: 'alice@example.com',
        emailVerified: true,
        name: 'Alice Liddell',
        failedLogins: { count: 2, firstAt: 10, lastAt: 20 },
        lockedUntil: 99,
      });
      expect(await storage.accounts.insert(record)).toBe(true);
      expect(await storage.accounts.get('acc_1')).toEqual(record);
      expect(await storage.accounts.getByUsernameKey('alice')).toEqual(record);
      expect(await storage.accounts.getByUsernameKey('Alice')).toBeUndefined();
      expect(await storage.accounts.get('acc_2')).toBeUndefined();
    });

    it('refuses a second account with the same username key or id, and records no event', async () => {
      await storage.accounts.insert(account('acc_1', { username: 'alice' }));
      const event = testEvent();
      const sameKey = account('acc_2', { username: 'ALICE', usernameKey: 'alice' });
      expect(await storage.accounts.insert(sameKey, { events: [event] })).toBe(false);
      expect(await storage.accounts.insert(account('acc_1', { username: 'bob' }))).toBe(false);
      expect(await storage.accounts.get('acc_2')).toBeUndefined();
      expect((await storage.accounts.get('acc_1'))?.username).toBe('alice');
      const ids = (await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id);
      expect(ids).not.toContain(event.id);
    });

    it('lists accounts in id order, a page at a time', async () => {
      for (const id of ['acc_c', 'acc_a', 'acc_d', 'acc_b']) {
        await storage.accounts.insert(account(id));
      }
      const first = await storage.accounts.list({ limit: 2 });
      expect(first.map((a) => a.id)).toEqual(['acc_a', 'acc_b']);
      const second = await storage.accounts.list({ after: 'acc_b', limit: 2 });
      expect(second.map((a) => a.id)).toEqual(['acc_c', 'acc_d']);
      expect(await storage.accounts.list({ after: 'acc_d', limit: 2 })).toEqual([]);
    });

    it('searches username, email and name case-insensitively, wildcards taken literally', async () => {
      await storage.accounts.insert(account('acc_1', { username: 'Alice' }));
      await storage.accounts.insert(account('acc_2', { email: 'BOB@example.com' }));
      await storage.accounts.insert(account('acc_3', { name: 'Carol 100% Real' }));
      await storage.accounts.insert(account('acc_4', { name: 'Dave_x' }));
      const search = async (text: string) =>
        (await storage.accounts.list({ limit: 10, search: text })).map((a) => a.id);
      expect(await search('ALI')).toEqual(['acc_1']);
      expect(await search('bob@')).toEqual(['acc_2']);
      expect(await search('100%')).toEqual(['acc_3']);
      expect(await search('%')).toEqual(['acc_3']);
      expect(await search('e_x')).toEqual(['acc_4']);
      expect(await search('nobody')).toEqual([]);
      expect(await storage.accounts.list({ limit: 1, search: 'user-acc', after: 'acc_1' })).toEqual(
        [expect.objectContaining({ id: 'acc_2' })],
      );
    });

    it('finds an account by its new email after an update', async () => {
      await storage.accounts.insert(account('acc_1'));
      await storage.accounts.update(account('acc_1', { email: 'new@example.com', version: 2 }));
      expect(
        (await storage.accounts.list({ limit: 5, search: 'new@example' })).map((a) => a.id),
      ).toEqual(['acc_1']);
    });

    it('keeps the profile fields through insert, update and a sign-in state change', async () => {
      const profile = {
        givenName: 'Alice',
        familyName: 'Liddell',
        locale: 'en-GB',
        zoneinfo: 'Europe/London',
        picture: 'https://pictures.example.com/alice.png',
      };
      await storage.accounts.insert(account('acc_1', profile));
      expect(await storage.accounts.get('acc_1')).toMatchObject(profile);
      const v2 = account('acc_1', { ...profile, locale: 'fr-CA', picture: undefined, version: 2 });
      expect(await storage.accounts.update(v2)).toBe(true);
      await storage.accounts.changeSignInState('acc_1', () => ({ next: LOCKED, result: true }));
      const stored = await storage.accounts.get('acc_1');
      expect(stored).toMatchObject({
        givenName: 'Alice',
        familyName: 'Liddell',
        locale: 'fr-CA',
        zoneinfo: 'Europe/London',
        version: 3,
      });
      expect(stored?.picture).toBeUndefined();
    });

    it('reads an account stored without profile fields as having none', async () => {
      await storage.accounts.insert(account('acc_1'));
      const stored = await storage.accounts.get('acc_1');
      for (const field of ['givenName', 'familyName', 'locale', 'zoneinfo', 'picture'] as const) {
        expect(stored?.[field]).toBeUndefined();
      }
    });

    it('applies an update only over the version it was based on', async () => {
      await storage.accounts.insert(account('acc_1'));
      const v2 = account('acc_1', { disabled: true, version: 2 });
      expect(await storage.accounts.update(v2)).toBe(true);
      const stale = account('acc_1', { name: 'lost update', version: 2 });
      expect(await storage.accounts.update(stale)).toBe(false);
      expect(await storage.accounts.get('acc_1')).toEqual(v2);
    });

    it('reports false when updating an absent account', async () => {
      expect(await storage.accounts.update(account('acc_x', { version: 2 }))).toBe(false);
    });

    it('lets exactly one of several concurrent updates of one version win', async () => {
      await storage.accounts.insert(account('acc_1'));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          storage.accounts.update(account('acc_1', { name: `writer ${index}`, version: 2 })),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('records the events of successful writes only', async () => {
      const created = testEvent('acc_1');
      const updated = testEvent('acc_1');
      const lost = testEvent('acc_1');
      await storage.accounts.insert(account('acc_1'), { events: [created] });
      await storage.accounts.update(account('acc_1', { version: 2 }), { events: [updated] });
      await storage.accounts.update(account('acc_1', { version: 2 }), { events: [lost] });
      const ids = (await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id);
      expect(ids).toEqual([updated.id, created.id]);
    });

    it('changes only the sign-in state, under the next version, with its events', async () => {
      const original = account('acc_1', { name: 'Alice', email: 'a@example.com' });
      await storage.accounts.insert(original);
      const event = testEvent('acc_1');
      const seen: AccountRecord[] = [];
      const answer = await storage.accounts.changeSignInState(
        'acc_1',
        (current) => {
          seen.push(current);
          return { next: LOCKED, result: 'stored' };
        },
        { events: [event] },
      );
      expect(answer).toBe('stored');
      expect(seen.at(-1)).toEqual(original);
      expect(await storage.accounts.get('acc_1')).toEqual({ ...original, ...LOCKED, version: 2 });
      const ids = (await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id);
      expect(ids).toEqual([event.id]);
    });

    it('stores nothing and records no event when a change makes no sign-in state', async () => {
      await storage.accounts.insert(account('acc_1', LOCKED));
      const answer = await storage.accounts.changeSignInState(
        'acc_1',
        () => ({ next: undefined, result: 'refused' }),
        { events: [testEvent('acc_1')] },
      );
      expect(answer).toBe('refused');
      expect(await storage.accounts.get('acc_1')).toEqual(account('acc_1', LOCKED));
      expect(await storage.outbox.listRecent({ limit: 5 })).toEqual([]);
    });

    it('clears a sign-in state', async () => {
      await storage.accounts.insert(account('acc_1', LOCKED));
      await storage.accounts.changeSignInState('acc_1', () => ({
        next: { failedLogins: undefined, lockedUntil: undefined },
        result: undefined,
      }));
      expect(await storage.accounts.get('acc_1')).toEqual(account('acc_1', { version: 2 }));
    });

    it('answers undefined for an absent account and writes nothing', async () => {
      const event = testEvent('acc_x');
      const answer = await storage.accounts.changeSignInState(
        'acc_x',
        () => ({ next: LOCKED, result: 'stored' }),
        { events: [event] },
      );
      expect(answer).toBeUndefined();
      expect(await storage.accounts.get('acc_x')).toBeUndefined();
      expect(await storage.outbox.listRecent({ limit: 5 })).toEqual([]);
    });

    it('makes an update based on the version before a sign-in state change fail', async () => {
      await storage.accounts.insert(account('acc_1'));
      await storage.accounts.changeSignInState('acc_1', () => ({ next: LOCKED, result: true }));
      expect(await storage.accounts.update(account('acc_1', { version: 2 }))).toBe(false);
      expect((await storage.accounts.get('acc_1'))?.lockedUntil).toBe(LOCKED.lockedUntil);
    });

    it('sees the latest version in a sign-in state change after an update', async () => {
      await storage.accounts.insert(account('acc_1'));
      await storage.accounts.update(account('acc_1', { disabled: true, version: 2 }));
      await storage.accounts.changeSignInState('acc_1', () => ({ next: LOCKED, result: true }));
      expect(await storage.accounts.get('acc_1')).toEqual(
        account('acc_1', { ...LOCKED, disabled: true, version: 3 }),
      );
    });

    it('grants exactly the free slots to many concurrent sign-in state changes', async () => {
      await storage.accounts.insert(account('acc_1'));
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => storage.accounts.changeSignInState('acc_1', takeSlot(5))),
      );
      expect(answers.filter(Boolean)).toHaveLength(5);
      const stored = await storage.accounts.get('acc_1');
      expect(stored).toMatchObject({ failedLogins: { count: 5 }, version: 6 });
    });

    it('grants exactly the free slots to sign-in state changes from two connections to one store', async () => {
      await storage.accounts.insert(account('acc_1'));
      const other = await open(createTestClock(), storage);
      try {
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            (index % 2 === 0 ? storage : other).accounts.changeSignInState('acc_1', takeSlot(5)),
          ),
        );
        expect(answers.filter(Boolean)).toHaveLength(5);
        const stored = await other.accounts.get('acc_1');
        expect(stored).toMatchObject({ failedLogins: { count: 5 }, version: 6 });
      } finally {
        await other.close();
      }
    });
  });
}
