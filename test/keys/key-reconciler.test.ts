import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { KeyDecryptionError } from '../../keys/key-encryption.ts';
import { canSign, ensureSigningKeyRing, SIGNING_KEYS_LEASE } from '../../keys/key-reconciler.ts';
import { deletableAt, promotableAt } from '../../keys/key-schedule.ts';
import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { SigningKeyRecord } from '../../src/ports/signing-keys.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { PATIENCE_MS } from '../helpers/patience.ts';
import {
  createReplica,
  DAY,
  DEFAULT_SCHEDULE,
  LEASE_TTL_MS,
  openTestStore,
} from './key-lifecycle-fixture.ts';

const rotations = async (storage: Storage) =>
  (await storage.outbox.listRecent({ type: 'tessera.keys.rotated', limit: 100 })).reverse();

const generationsIn = (records: readonly SigningKeyRecord[], state: SigningKeyRecord['state']) =>
  new Set(records.filter((key) => key.state === state).map((key) => key.generation));

describe('the key reconciler', () => {
  const opened: Storage[] = [];
  const open = (path?: string) => {
    const store = openTestStore(path);
    opened.push(store.storage);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((storage) => storage.close()));
  });

  it('creates a current and a next generation on first start', async () => {
    const { storage, clock } = open();
    const ring = await ensureSigningKeyRing(createReplica(storage, clock).reconciler, {
      timeoutMs: 1000,
      retryMs: 10,
    });
    expect(canSign(ring)).toBe(true);
    expect(ring.records.map((key) => `${key.state}:${key.alg}`).sort()).toEqual([
      'current:ES256',
      'current:RS256',
      'next:ES256',
      'next:RS256',
    ]);
  });

  it('runs a year on a frozen clock: one rotation per interval, every invariant kept', async () => {
    const { storage, clock } = open();
    const { reconciler } = createReplica(storage, clock);
    const start = clock();
    const seen = new Map<string, SigningKeyRecord>();
    let promotions = 0;
    let previousCurrent = '';

    while (clock() < start + 365 * DAY) {
      const result = await reconciler.reconcile();
      const records = result.ring.records;
      for (const record of records) seen.set(record.kid, record);

      // Always exactly one signing generation and one published successor.
      expect(generationsIn(records, 'current').size).toBe(1);
      expect(generationsIn(records, 'next').size).toBe(1);
      const [current] = [...generationsIn(records, 'current')];
      if (current !== previousCurrent) {
        promotions += previousCurrent ? 1 : 0;
        previousCurrent = current as string;
      }
      // A key that signs was published for the lead time first (the bootstrap aside).
      for (const key of records.filter((k) => k.state === 'current' && k.createdAt !== start)) {
        expect(key.activatedAt).toBeGreaterThanOrEqual(
          promotableAt(key.createdAt, DEFAULT_SCHEDULE),
        );
      }
      // A retired key is still published while a token it signed may be valid.
      for (const key of records.filter((k) => k.state === 'retired')) {
        expect(clock()).toBeLessThan(deletableAt(key.retiredAt as number, DEFAULT_SCHEDULE));
      }
      // A key that is gone was retired long enough ago.
      for (const key of seen.values()) {
        if (!records.some((k) => k.kid === key.kid)) {
          expect(key.state).toBe('retired');
          expect(clock()).toBeGreaterThanOrEqual(
            deletableAt(key.retiredAt as number, DEFAULT_SCHEDULE),
          );
        }
      }
      expect(result.wakeAt).toBeGreaterThan(clock());
      clock.advance((result.wakeAt as number) - clock());
    }

    const events = await rotations(storage);
    expect(promotions).toBe(12);
    expect(events).toHaveLength(12);
    const activations = [...seen.values()]
      .filter((key) => key.alg === 'ES256' && key.activatedAt !== undefined)
      .map((key) => key.activatedAt as number)
      .sort((a, b) => a - b);
    for (let i = 1; i < activations.length; i += 1) {
      expect((activations[i] as number) - (activations[i - 1] as number)).toBe(30 * DAY);
    }
    expect(events[0]?.data).toMatchObject({ reason: 'scheduled', removed: [] });
  });

  it('refuses to act, writing nothing, when it cannot decrypt the stored keys', async () => {
    const { storage, clock } = open();
    await ensureSigningKeyRing(createReplica(storage, clock).reconciler, {
      timeoutMs: 1000,
      retryMs: 10,
    });
    const before = await storage.signingKeys.list();
    clock.advance(31 * DAY);

    const wrongKek = createReplica(storage, clock, { kek: randomBytes(32), holderId: 'replica-b' });
    await expect(wrongKek.reconciler.reconcile()).rejects.toThrow(KeyDecryptionError);
    expect(await storage.signingKeys.list()).toEqual(before);
    expect(await rotations(storage)).toEqual([]);
    expect(await storage.leases.get(SIGNING_KEYS_LEASE)).toBeUndefined();
  });

  it('rotates once when two replicas on one store find a rotation due at the same moment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-reconciler-'));
    try {
      const kek = randomBytes(32);
      const a = open(join(dir, 'store.sqlite'));
      // A second connection to the same file, as a second process would have.
      const b = { storage: openSqliteStorage({ path: join(dir, 'store.sqlite'), clock: a.clock }) };
      opened.push(b.storage);
      const replicaA = createReplica(a.storage, a.clock, { kek, holderId: 'replica-a' });
      const replicaB = createReplica(b.storage, a.clock, { kek, holderId: 'replica-b' });
      await replicaA.reconciler.reconcile();
      a.clock.advance(30 * DAY);

      const results = await Promise.all([
        replicaA.reconciler.reconcile(),
        replicaB.reconciler.reconcile(),
      ]);
      const records = await a.storage.signingKeys.list();
      expect(await rotations(a.storage)).toHaveLength(1);
      expect(generationsIn(records, 'current').size).toBe(1);
      expect(generationsIn(records, 'next').size).toBe(1);
      expect(generationsIn(records, 'retired').size).toBe(1);
      expect(results.map((result) => result.status)).toContain('settled');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets another replica rotate once a crashed holder’s lease lapses', async () => {
    const { storage, clock } = open();
    const survivor = createReplica(storage, clock, { holderId: 'survivor' });
    await survivor.reconciler.reconcile();
    clock.advance(30 * DAY);
    // The crashed replica took the lease for this rotation and died before releasing it.
    await storage.leases.acquire(SIGNING_KEYS_LEASE, 'crashed', LEASE_TTL_MS);
    expect((await survivor.reconciler.reconcile()).status).toBe('busy');

    clock.advance(LEASE_TTL_MS);
    expect((await survivor.reconciler.reconcile()).status).toBe('settled');
    expect(await rotations(storage)).toHaveLength(1);
  });

  it('changes nothing when a promotion was decided on a view that is no longer current', async () => {
    const { storage, clock } = open();
    const replica = createReplica(storage, clock);
    await replica.reconciler.reconcile();
    const stale = await storage.signingKeys.list();
    const [next] = [...generationsIn(stale, 'next')];
    const [current] = [...generationsIn(stale, 'current')];
    const promote = {
      kind: 'promote',
      generation: next as string,
      retire: [current as string],
      reason: 'manual',
    } as const;
    expect(await replica.writer.apply(stale, promote)).toBe(true);
    const after = await storage.signingKeys.list();

    expect(await replica.writer.apply(stale, promote)).toBe(false);
    expect(await storage.signingKeys.list()).toEqual(after);
    expect(await rotations(storage)).toHaveLength(1);
  });

  it('does not rotate while another replica holds the lease', async () => {
    const { storage, clock } = open();
    const replica = createReplica(storage, clock);
    await replica.reconciler.reconcile();
    clock.advance(30 * DAY);
    await storage.leases.acquire(SIGNING_KEYS_LEASE, 'someone-else', LEASE_TTL_MS);

    expect((await replica.reconciler.reconcile()).status).toBe('busy');
    expect(await rotations(storage)).toEqual([]);
  });

  it('waits at startup for the replica that is creating the keys, then serves them', async () => {
    const { storage, clock } = open();
    const kek = randomBytes(32);
    const creator = createReplica(storage, clock, { kek, holderId: 'creator' });
    const waiter = createReplica(storage, clock, { kek, holderId: 'waiter' });
    await storage.leases.acquire(SIGNING_KEYS_LEASE, 'creator', LEASE_TTL_MS);

    const waiting = ensureSigningKeyRing(waiter.reconciler, {
      timeoutMs: PATIENCE_MS,
      retryMs: 10,
    });
    await creator.writer.apply([], { kind: 'bootstrap' });
    await storage.leases.release(SIGNING_KEYS_LEASE, 'creator');

    const ring = await waiting;
    expect(ring.records.map((key) => key.kid).sort()).toEqual(
      (await storage.signingKeys.list()).map((key) => key.kid).sort(),
    );
  });

  it('gives up at startup, saying why, when the lease holder never creates the keys', async () => {
    const { storage, clock } = open();
    await storage.leases.acquire(SIGNING_KEYS_LEASE, 'stuck', LEASE_TTL_MS);
    await expect(
      ensureSigningKeyRing(createReplica(storage, clock).reconciler, {
        timeoutMs: 50,
        retryMs: 10,
      }),
    ).rejects.toThrow(/another replica holds the "signing-keys" lease/);
  });
});
