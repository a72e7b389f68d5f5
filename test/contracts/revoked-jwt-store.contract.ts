import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Storage } from '../../src/ports/storage.ts';
import {
  createTestClock,
  testEvent,
  type OpenTestStorage,
  type TestClock,
} from './storage-fixture.ts';

export function describeRevokedJwtStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`RevokedJwtStore contract (${adapter})`, () => {
    let storage: Storage;
    let clock: TestClock;

    beforeEach(async () => {
      clock = createTestClock();
      storage = await open(clock);
    });
    afterEach(async () => {
      await storage.close();
    });

    const revoked = () => storage.revokedJwts;
    const nowSeconds = () => Math.floor(clock() / 1000);
    const recordedSubjects = async () =>
      (await storage.outbox.listRecent({ limit: 100 })).map((event) => event.subject);

    it('knows a recorded jti as revoked, and no other', async () => {
      expect(await revoked().add({ jti: 'cc~one', exp: nowSeconds() + 60 })).toBe(true);
      expect(await revoked().has('cc~one')).toBe(true);
      expect(await revoked().has('cc~two')).toBe(false);
    });

    it('records the events in the same write', async () => {
      await revoked().add(
        { jti: 'cc~one', exp: nowSeconds() + 60 },
        { events: [testEvent('one')] },
      );
      expect(await recordedSubjects()).toEqual(['one']);
    });

    it('records a jti once, with its events once, however many revocations race', async () => {
      const results = await Promise.all(
        ['a', 'b', 'c', 'd'].map((subject) =>
          revoked().add(
            { jti: 'cc~one', exp: nowSeconds() + 60 },
            { events: [testEvent(subject)] },
          ),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(
        await revoked().add(
          { jti: 'cc~one', exp: nowSeconds() + 60 },
          {
            events: [testEvent('late')],
          },
        ),
      ).toBe(false);
      expect(await recordedSubjects()).toHaveLength(1);
      expect(await revoked().has('cc~one')).toBe(true);
    });

    it('forgets a jti once its exp has passed, and prunes only those', async () => {
      await revoked().add({ jti: 'cc~short', exp: nowSeconds() + 10 });
      await revoked().add({ jti: 'cc~long', exp: nowSeconds() + 3600 });
      clock.advance(10_000);
      expect(await revoked().has('cc~short')).toBe(false);
      expect(await revoked().has('cc~long')).toBe(true);

      expect(await revoked().pruneExpired()).toBe(1);
      expect(await revoked().has('cc~long')).toBe(true);
      expect(await revoked().pruneExpired()).toBe(0);
    });

    it('is seen by another connection to the same store at once', async () => {
      const other = await open(clock, storage);
      try {
        await revoked().add({ jti: 'cc~shared', exp: nowSeconds() + 60 });
        expect(await other.revokedJwts.has('cc~shared')).toBe(true);
        expect(await other.revokedJwts.add({ jti: 'cc~shared', exp: nowSeconds() + 60 })).toBe(
          false,
        );
      } finally {
        await other.close();
      }
    });
  });
}
