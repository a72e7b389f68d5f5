import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { OidcPayload } from '../../src/ports/oidc-models.ts';
import type { Storage } from '../../src/ports/storage.ts';
import {
  createTestClock,
  testEvent,
  type OpenTestStorage,
  type TestClock,
} from './storage-fixture.ts';

/**
 * Writes `count` records, `writes` at a time: tests that need many records seed them in a
 * fraction of the round trips one after another would cost on a busy machine's MongoDB.
 */
async function seed(count: number, write: (index: number) => Promise<void>, writes = 25) {
  for (let start = 0; start < count; start += writes) {
    const end = Math.min(count, start + writes);
    await Promise.all(Array.from({ length: end - start }, (_, offset) => write(start + offset)));
  }
}

export function describeOidcModelStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`OidcModelStore contract (${adapter})`, () => {
    let storage: Storage;
    let clock: TestClock;

    beforeEach(async () => {
      clock = createTestClock();
      storage = await open(clock);
    });
    afterEach(async () => {
      await storage.close();
    });

    const models = () => storage.oidcModels;

    it('returns what was upserted', async () => {
      const payload = { jti: 'a1', kind: 'AccessToken', clientId: 'c1', nested: { x: [1, 2] } };
      await models().upsert('AccessToken', 'a1', payload, 60);
      expect(await models().find('AccessToken', 'a1')).toEqual(payload);
    });

    it('returns undefined for an unknown id', async () => {
      expect(await models().find('AccessToken', 'missing')).toBeUndefined();
    });

    it('replaces the payload on a second upsert of the same id', async () => {
      await models().upsert('Session', 's1', { jti: 's1', v: 1 }, 60);
      await models().upsert('Session', 's1', { jti: 's1', v: 2 }, 60);
      expect(await models().find('Session', 's1')).toEqual({ jti: 's1', v: 2 });
    });

    it('keeps models apart when they share an id', async () => {
      await models().upsert('AccessToken', 'same', { kind: 'AccessToken' }, 60);
      await models().upsert('RefreshToken', 'same', { kind: 'RefreshToken' }, 60);
      expect(await models().find('AccessToken', 'same')).toEqual({ kind: 'AccessToken' });
      expect(await models().find('RefreshToken', 'same')).toEqual({ kind: 'RefreshToken' });
    });

    it('treats an expired record as absent on every read path', async () => {
      await models().upsert('Session', 's1', { uid: 'u1' }, 10);
      await models().upsert('DeviceCode', 'd1', { userCode: 'ABCD' }, 10);
      clock.advance(10_001);
      expect(await models().find('Session', 's1')).toBeUndefined();
      expect(await models().findByUid('Session', 'u1')).toBeUndefined();
      expect(await models().findByUserCode('DeviceCode', 'ABCD')).toBeUndefined();
      expect(await models().consume('Session', 's1')).toBe(false);
    });

    it('keeps a record without expiry indefinitely', async () => {
      await models().upsert('Grant', 'g1', { jti: 'g1' }, undefined);
      clock.advance(10 * 365 * 86_400_000);
      expect(await models().find('Grant', 'g1')).toEqual({ jti: 'g1' });
    });

    it('finds sessions by uid and device codes by user code', async () => {
      await models().upsert('Session', 's1', { jti: 's1', uid: 'uid-1' }, 60);
      await models().upsert('DeviceCode', 'd1', { jti: 'd1', userCode: 'WXYZ' }, 60);
      expect(await models().findByUid('Session', 'uid-1')).toEqual({ jti: 's1', uid: 'uid-1' });
      expect(await models().findByUserCode('DeviceCode', 'WXYZ')).toEqual({
        jti: 'd1',
        userCode: 'WXYZ',
      });
      expect(await models().findByUid('Session', 'uid-2')).toBeUndefined();
    });

    it('finds the live grants and sessions of an account, and only those', async () => {
      const grant = (id: string, accountId: string) => ({ jti: id, accountId, clientId: 'c1' });
      await models().upsert('Grant', 'g1', grant('g1', 'u1'), 60);
      await models().upsert('Grant', 'g2', grant('g2', 'u1'), undefined);
      await models().upsert('Grant', 'g3', grant('g3', 'u2'), 60);
      await models().upsert('Grant', 'g4', grant('g4', 'u1'), 10);
      await models().upsert('Session', 's1', { jti: 's1', uid: 'x1', accountId: 'u1' }, 60);
      await models().upsert('AccessToken', 'a1', { jti: 'a1', accountId: 'u1' }, 60);
      clock.advance(10_001);

      const grants = await models().findByAccountId('Grant', 'u1');
      expect(grants.map((payload) => payload['jti']).sort()).toEqual(['g1', 'g2']);
      expect(grants.find((payload) => payload['jti'] === 'g1')).toEqual(grant('g1', 'u1'));
      expect(await models().findByAccountId('Session', 'u1')).toEqual([
        { jti: 's1', uid: 'x1', accountId: 'u1' },
      ]);
      expect(await models().findByAccountId('Session', 'u2')).toEqual([]);
      expect(await models().findByAccountId('Grant', 'nobody')).toEqual([]);
    });

    it("follows a session's account as upserts change it, and forgets it once destroyed", async () => {
      // oidc-provider saves a session before sign-in (no accountId), then with the account.
      await models().upsert('Session', 's1', { jti: 's1', uid: 'x1' }, 60);
      expect(await models().findByAccountId('Session', 'u1')).toEqual([]);
      await models().upsert('Session', 's1', { jti: 's1', uid: 'x1', accountId: 'u1' }, 60);
      expect(await models().findByAccountId('Session', 'u1')).toHaveLength(1);
      await models().upsert('Session', 's1', { jti: 's1', uid: 'x1', accountId: 'u2' }, 60);
      expect(await models().findByAccountId('Session', 'u1')).toEqual([]);
      await models().destroy('Session', 's1');
      expect(await models().findByAccountId('Session', 'u2')).toEqual([]);
    });

    it('finds the live records of a client, model by model, and only those', async () => {
      const issued = (id: string, clientId: string) => ({ jti: id, clientId, grantId: 'g1' });
      await models().upsert('AccessToken', 'a1', issued('a1', 'c1'), 60);
      await models().upsert('AccessToken', 'a2', issued('a2', 'c2'), 60);
      await models().upsert('AccessToken', 'a3', issued('a3', 'c1'), 10);
      await models().upsert('Grant', 'g1', { jti: 'g1', clientId: 'c1', accountId: 'u1' }, 60);
      await models().upsert('Session', 's1', { jti: 's1', clientId: 'c1' }, 60);
      clock.advance(10_001);

      expect(await models().findByClientId('AccessToken', 'c1')).toEqual([issued('a1', 'c1')]);
      expect(await models().findByClientId('Grant', 'c1')).toEqual([
        { jti: 'g1', clientId: 'c1', accountId: 'u1' },
      ]);
      expect(await models().findByClientId('RefreshToken', 'c1')).toEqual([]);
      expect(await models().findByClientId('AccessToken', 'nobody')).toEqual([]);
    });

    it("revokes a client's records of one model, expired ones included, announcing each", async () => {
      const issued = (id: string, clientId: string) => ({ jti: id, clientId });
      await models().upsert('AccessToken', 'a1', issued('a1', 'c1'), 60);
      await models().upsert('AccessToken', 'a2', issued('a2', 'c1'), 10);
      await models().upsert('AccessToken', 'a3', issued('a3', 'c2'), 60);
      await models().upsert('RefreshToken', 'r1', issued('r1', 'c1'), 60);
      clock.advance(10_001);
      const eventsFor = (removed: readonly OidcPayload[]) =>
        removed.map((payload) => testEvent(String(payload['jti'])));

      const revoked = await models().revokeByClientId('AccessToken', 'c1', { eventsFor });

      expect(revoked.map((payload) => payload['jti']).sort()).toEqual(['a1', 'a2']);
      const recorded = await storage.outbox.listRecent({ limit: 10 });
      expect(recorded.map((event) => event.subject).sort()).toEqual(['a1', 'a2']);
      expect(await models().find('AccessToken', 'a3')).toBeDefined();
      expect(await models().find('RefreshToken', 'r1')).toBeDefined();
      expect(await models().revokeByClientId('AccessToken', 'c1', { eventsFor })).toEqual([]);
    });

    it('revokes every record of a client that holds many, each announced once', async () => {
      const count = 520;
      await seed(count, (index) =>
        models().upsert('ClientCredentials', `t${index}`, { jti: `t${index}`, clientId: 'c1' }, 60),
      );
      const eventsFor = (removed: readonly OidcPayload[]) =>
        removed.map((payload) => testEvent(String(payload['jti'])));

      const revoked = await models().revokeByClientId('ClientCredentials', 'c1', { eventsFor });

      expect(revoked).toHaveLength(count);
      expect(await models().findByClientId('ClientCredentials', 'c1')).toEqual([]);
      const recorded = await storage.outbox.listRecent({ limit: 1000 });
      expect(new Set(recorded.map((event) => event.subject)).size).toBe(count);
      expect(recorded).toHaveLength(count);
    });

    const jtis = (payloads: readonly OidcPayload[]) =>
      payloads.map((payload) => String(payload['jti'])).sort();

    it("finds and revokes a client's tokens under its grants and its grant-less ones alike", async () => {
      const token = (id: string, clientId: string, grantId?: string) => ({
        jti: id,
        clientId,
        ...(grantId === undefined ? {} : { grantId }),
      });
      await models().upsert('Grant', 'g1', { jti: 'g1', clientId: 'c1', accountId: 'u1' }, 60);
      await models().upsert('Grant', 'g2', { jti: 'g2', clientId: 'c2', accountId: 'u1' }, 60);
      await models().upsert('RefreshToken', 'r1', token('r1', 'c1', 'g1'), 60);
      await models().upsert('RefreshToken', 'r2', token('r2', 'c2', 'g2'), 60);
      await models().upsert('AccessToken', 'a1', token('a1', 'c1', 'g1'), 60);
      await models().upsert('AccessToken', 'a2', token('a2', 'c1'), 60);
      await models().upsert('AccessToken', 'a3', token('a3', 'c2', 'g2'), 60);

      expect(jtis(await models().findByClientId('AccessToken', 'c1'))).toEqual(['a1', 'a2']);
      expect(jtis(await models().findByClientId('RefreshToken', 'c1'))).toEqual(['r1']);
      expect(jtis(await models().findByClientId('Grant', 'c1'))).toEqual(['g1']);
      expect(jtis(await models().revokeByClientId('AccessToken', 'c1'))).toEqual(['a1', 'a2']);
      expect(jtis(await models().revokeByClientId('RefreshToken', 'c1'))).toEqual(['r1']);
      expect(await models().find('RefreshToken', 'r2')).toBeDefined();
      expect(await models().find('AccessToken', 'a3')).toBeDefined();
    });

    // A replica rotating a refresh token while the client is deleted writes its new tokens
    // after the grant is gone; an expired grant is pruned before a refresh token rotated near
    // its end. A repeated deletion must still find such tokens by their client.
    it("finds and revokes a client's tokens whose grant is no longer stored", async () => {
      await models().upsert('Grant', 'g1', { jti: 'g1', clientId: 'c1', accountId: 'u1' }, 10);
      await models().upsert('RefreshToken', 'r1', { jti: 'r1', clientId: 'c1', grantId: 'g1' }, 60);
      await models().revokeByClientId('Grant', 'c1');
      await models().upsert('AccessToken', 'a1', { jti: 'a1', clientId: 'c1', grantId: 'g1' }, 60);
      clock.advance(10_001);
      await models().pruneExpired();

      expect(jtis(await models().findByClientId('RefreshToken', 'c1'))).toEqual(['r1']);
      expect(jtis(await models().revokeByClientId('RefreshToken', 'c1'))).toEqual(['r1']);
      expect(jtis(await models().revokeByClientId('AccessToken', 'c1'))).toEqual(['a1']);
    });

    it('consumes once and reports consumed on later reads', async () => {
      await models().upsert('AuthorizationCode', 'c1', { jti: 'c1', grantId: 'g1' }, 60);
      expect(await models().consume('AuthorizationCode', 'c1')).toBe(true);
      expect(await models().consume('AuthorizationCode', 'c1')).toBe(false);
      const found = await models().find('AuthorizationCode', 'c1');
      expect(found?.consumed).toBeTypeOf('number');
      expect(found?.grantId).toBe('g1');
    });

    it('lets exactly one of many concurrent consumers win', async () => {
      await models().upsert('RefreshToken', 'r1', { jti: 'r1' }, 60);
      const results = await Promise.all(
        Array.from({ length: 16 }, () => models().consume('RefreshToken', 'r1')),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('inserts a record absent so far, and refuses a second insert of its id while it lives', async () => {
      expect(await models().insertIfAbsent('ReplayDetection', 'j1', { iss: 'c1' }, 60)).toBe(true);
      expect(await models().insertIfAbsent('ReplayDetection', 'j1', { iss: 'c2' }, 60)).toBe(false);
      expect(await models().find('ReplayDetection', 'j1')).toEqual({ iss: 'c1' });
      // Another model's record under the same id is another record.
      expect(await models().insertIfAbsent('Session', 'j1', { iss: 'c1' }, 60)).toBe(true);
    });

    it('inserts over an expired record of the id, with the new expiry', async () => {
      await models().upsert('ReplayDetection', 'j1', { iss: 'old' }, 10);
      clock.advance(10_001);
      expect(await models().insertIfAbsent('ReplayDetection', 'j1', { iss: 'new' }, 60)).toBe(true);
      expect(await models().find('ReplayDetection', 'j1')).toEqual({ iss: 'new' });
      clock.advance(59_000);
      expect(await models().insertIfAbsent('ReplayDetection', 'j1', { iss: 'late' }, 60)).toBe(
        false,
      );
      clock.advance(1_001);
      expect(await models().find('ReplayDetection', 'j1')).toBeUndefined();
    });

    it('lets exactly one of many concurrent inserts of one id win, across two connections', async () => {
      const other = await open(clock, storage);
      try {
        const stores = [models(), other.oidcModels];
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            stores[i % 2]!.insertIfAbsent('ReplayDetection', 'j1', { iss: `c${i}` }, 60),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('lets exactly one of many concurrent inserts over an expired record win', async () => {
      await models().upsert('ReplayDetection', 'j1', { iss: 'old' }, 10);
      clock.advance(10_001);
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          models().insertIfAbsent('ReplayDetection', 'j1', { iss: `c${i}` }, 60),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('reports false when consuming an unknown id', async () => {
      expect(await models().consume('AuthorizationCode', 'nope')).toBe(false);
    });

    it('destroys a record and returns what it held', async () => {
      await models().upsert('AccessToken', 'a1', { jti: 'a1', accountId: 'u1' }, 60);
      expect(await models().destroy('AccessToken', 'a1')).toEqual({ jti: 'a1', accountId: 'u1' });
      expect(await models().find('AccessToken', 'a1')).toBeUndefined();
      expect(await models().destroy('AccessToken', 'a1')).toBeUndefined();
    });

    it("revokes only the grant's records of the given model", async () => {
      await models().upsert('AccessToken', 'a1', { jti: 'a1', grantId: 'g1' }, 60);
      await models().upsert('AccessToken', 'a2', { jti: 'a2', grantId: 'g1' }, 60);
      await models().upsert('AccessToken', 'a3', { jti: 'a3', grantId: 'g2' }, 60);
      await models().upsert('RefreshToken', 'r1', { jti: 'r1', grantId: 'g1' }, 60);
      const revoked = await models().revokeByGrantId('AccessToken', 'g1');
      expect(revoked.map((payload) => payload.jti).sort()).toEqual(['a1', 'a2']);
      expect(await models().find('AccessToken', 'a1')).toBeUndefined();
      expect(await models().find('AccessToken', 'a2')).toBeUndefined();
      expect(await models().find('AccessToken', 'a3')).toBeDefined();
      expect(await models().find('RefreshToken', 'r1')).toBeDefined();
    });

    it('prunes expired records and keeps live ones', async () => {
      await models().upsert('Interaction', 'i1', { jti: 'i1' }, 10);
      await models().upsert('Interaction', 'i2', { jti: 'i2' }, 1000);
      clock.advance(20_000);
      expect(await models().pruneExpired()).toBeGreaterThanOrEqual(1);
      expect(await models().find('Interaction', 'i2')).toEqual({ jti: 'i2' });
    });

    it('records events with a successful consume, destroy and revoke, and none with a failed consume', async () => {
      await models().upsert('RefreshToken', 'r1', { jti: 'r1', grantId: 'g1' }, 60);
      await models().upsert('AccessToken', 'a1', { jti: 'a1', grantId: 'g1' }, 60);
      const consumeEvent = testEvent();
      const lostEvent = testEvent();
      const destroyEvent = testEvent();
      const revokeEvent = testEvent();
      await models().consume('RefreshToken', 'r1', { events: [consumeEvent] });
      await models().consume('RefreshToken', 'r1', { events: [lostEvent] });
      await models().destroy('RefreshToken', 'r1', { events: [destroyEvent] });
      await models().revokeByGrantId('AccessToken', 'g1', { events: [revokeEvent] });
      const ids = (await storage.outbox.listRecent({ limit: 10 })).map((event) => event.id);
      expect(ids).toEqual([revokeEvent.id, destroyEvent.id, consumeEvent.id]);
    });

    it('records events built from the payloads a destroy and a revoke remove', async () => {
      await models().upsert('RefreshToken', 'r1', { jti: 'r1', grantId: 'g1' }, 60);
      await models().upsert('AccessToken', 'a1', { jti: 'a1', grantId: 'g1' }, 60);
      await models().upsert('AccessToken', 'a2', { jti: 'a2', grantId: 'g1' }, 60);
      await models().upsert('AccessToken', 'a3', { jti: 'a3', grantId: 'g2' }, 60);
      const eventsFor = (removed: readonly OidcPayload[]) =>
        removed.map((payload) => testEvent(String(payload['jti'])));

      const destroyed = await models().destroy('RefreshToken', 'r1', { eventsFor });
      const revoked = await models().revokeByGrantId('AccessToken', 'g1', { eventsFor });

      expect(destroyed).toEqual({ jti: 'r1', grantId: 'g1' });
      expect(revoked.map((payload) => payload['jti']).sort()).toEqual(['a1', 'a2']);
      const recorded = await storage.outbox.listRecent({ limit: 10 });
      expect(recorded.map((event) => event.subject).sort()).toEqual(['a1', 'a2', 'r1']);
      expect(await models().find('AccessToken', 'a3')).toBeDefined();
    });

    it('records no derived event when a destroy or revoke removes nothing', async () => {
      const seen: (readonly OidcPayload[])[] = [];
      const eventsFor = (removed: readonly OidcPayload[]) => {
        seen.push(removed);
        return removed.map(() => testEvent());
      };
      expect(await models().destroy('RefreshToken', 'missing', { eventsFor })).toBeUndefined();
      expect(await models().revokeByGrantId('AccessToken', 'no-grant', { eventsFor })).toEqual([]);
      expect(seen).toEqual([[], []]);
      expect(await storage.outbox.listRecent({ limit: 10 })).toEqual([]);
    });

    it('gives each token removed by concurrent revocations of its grant at least one event', async () => {
      for (let index = 0; index < 10; index += 1) {
        await models().upsert('AccessToken', `a${index}`, { jti: `a${index}`, grantId: 'g1' }, 60);
      }
      const eventsFor = (removed: readonly OidcPayload[]) =>
        removed.map((payload) => testEvent(String(payload['jti'])));
      const results = await Promise.all(
        [1, 2, 3].map(() => models().revokeByGrantId('AccessToken', 'g1', { eventsFor })),
      );
      expect(results.flat().length).toBeGreaterThanOrEqual(10);
      const recorded = await storage.outbox.listRecent({ limit: 100 });
      expect(new Set(recorded.map((event) => event.subject)).size).toBe(10);
      expect(await models().find('AccessToken', 'a0')).toBeUndefined();
    });

    it('rewrites the records a data migration replaces, keeping expiry and consumption', async () => {
      await models().upsert('RefreshToken', 'old-1', { jti: 'old-1', grantId: 'g1' }, 60);
      await models().upsert('RefreshToken', 'old-2', { jti: 'old-2', grantId: 'g1' }, 10);
      await models().upsert('RefreshToken', 'kept', { jti: 'kept', grantId: 'g2' }, 60);
      await models().consume('RefreshToken', 'old-1');
      const offered: string[] = [];

      const replaced = await models().rewriteAll('RefreshToken', ({ id, payload }) => {
        offered.push(id);
        if (id === 'kept') return undefined;
        return { id: `new-${id}`, payload: { ...payload, jti: `new-${id}`, rewritten: true } };
      });

      expect(replaced).toBe(2);
      expect(offered).toEqual(expect.arrayContaining(['old-1', 'old-2', 'kept']));
      expect(await models().find('RefreshToken', 'old-1')).toBeUndefined();
      const first = await models().find('RefreshToken', 'new-old-1');
      expect(first).toMatchObject({ jti: 'new-old-1', grantId: 'g1', rewritten: true });
      expect(first?.consumed).toBeTypeOf('number');
      expect(await models().consume('RefreshToken', 'new-old-1')).toBe(false);
      expect(await models().revokeByGrantId('RefreshToken', 'g1')).toHaveLength(2);
      expect(await models().find('RefreshToken', 'kept')).toEqual({ jti: 'kept', grantId: 'g2' });
      await models().upsert('RefreshToken', 'old-3', { jti: 'old-3' }, 10);
      await models().rewriteAll('RefreshToken', ({ id, payload }) =>
        id === 'old-3' ? { id: 'new-old-3', payload } : undefined,
      );
      clock.advance(10_001);
      expect(await models().find('RefreshToken', 'new-old-3')).toBeUndefined();
    });

    it('offers expired records to a rewrite too, and leaves a replacement already stored alone', async () => {
      await models().upsert('Session', 'old', { jti: 'old', uid: 'u-old' }, 10);
      await models().upsert('Session', 'new', { jti: 'new', uid: 'u-new' }, 60);
      clock.advance(10_001);
      const offered: string[] = [];
      const replaced = await models().rewriteAll('Session', ({ id }) => {
        offered.push(id);
        return id === 'old' ? { id: 'new', payload: { jti: 'clobbered' } } : undefined;
      });
      expect(offered.sort()).toEqual(['new', 'old']);
      expect(replaced).toBe(1);
      expect(await models().find('Session', 'new')).toEqual({ jti: 'new', uid: 'u-new' });
      expect(await models().rewriteAll('Session', () => undefined)).toBe(0);
    });

    it('offers every record of a model, in more than one batch, and no other model', async () => {
      await seed(1203, (index) =>
        models().upsert('Interaction', `i${index}`, { jti: `i${index}` }, 60),
      );
      await models().upsert('Session', 'not-offered', { jti: 'not-offered' }, 60);
      const offered = new Set<string>();
      await models().rewriteAll('Interaction', ({ id }) => {
        offered.add(id);
        return undefined;
      });
      expect(offered.size).toBe(1203);
      expect(offered.has('not-offered')).toBe(false);
    });
  });
}
