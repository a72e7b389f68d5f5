import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { StoreUnavailableError } from '../../src/ports/storage.ts';
import { consumptionsOf, documentLocksOf, type MongoHandle } from './collections.ts';
import type { ConditionalWrites } from './conditional-writes.ts';
import { isDuplicateKeyError } from './store-errors.ts';

/** A holder that has not released after this long is presumed gone (wall clock, across processes). */
const LOCK_LEASE_MS = 10_000;
/** How long a writer waits for a busy document before giving up with a 503. */
const ACQUIRE_TIMEOUT_MS = 3_000;

/**
 * Conditional writes on FerretDB 1.x, whose filtered updates are not atomic: it runs an update as
 * query, apply in memory, write back by `_id` (internal/handler/common/update.go,
 * UpdateDocument), so two concurrent conditional updates may both "match" (measured: 199 of 200
 * rounds of 16 concurrent `updateOne({_id, consumedAt: null})` had more than one winner). Its
 * inserts into a unique index are atomic (0 of 200), and both implementations rest on that:
 *
 * - a compare-and-set runs while holding a short write lock on each document: an insert into
 *   `document_locks`;
 * - a consume's winner is the one caller whose insert of a marker into `oidc_consumptions`
 *   succeeds.
 */
export function createLockedConditionalWrites(handle: MongoHandle): ConditionalWrites {
  return {
    compareAndSet: (keys, work) => withDocumentLocks(handle, keys, work),

    async confirmSoleWinner(key, expiresAt) {
      try {
        await consumptionsOf(handle.db).insertOne({ _id: key, expiresAt });
        return true;
      } catch (error) {
        if (isDuplicateKeyError(error)) return false;
        throw error;
      }
    },
  };
}

/**
 * Runs `work` while holding a write lock on each of `keys` (`<collection>:<id>`), so that the
 * conditional updates inside it act as compare-and-set.
 *
 * The lock is an insert into a unique `_id`, which FerretDB does perform atomically. Keys are
 * taken in sorted order, so two writers locking overlapping sets cannot deadlock. A lock whose
 * lease ran out (its holder crashed) is taken over; deleting it is itself a read-then-delete on
 * FerretDB, so two writers taking over the same abandoned lock at the same instant could both
 * proceed: a window that needs a crash first, accepted for a test server.
 */
async function withDocumentLocks<T>(
  handle: MongoHandle,
  keys: readonly string[],
  work: () => Promise<T>,
): Promise<T> {
  const locks = documentLocksOf(handle.db);
  const owner = randomUUID();
  const held: string[] = [];
  try {
    for (const key of [...new Set(keys)].sort()) {
      await acquire(handle, key, owner);
      held.push(key);
    }
    return await work();
  } finally {
    if (held.length > 0) await locks.deleteMany({ _id: { $in: held }, owner });
  }
}

async function acquire(handle: MongoHandle, key: string, owner: string): Promise<void> {
  const locks = documentLocksOf(handle.db);
  const deadline = Date.now() + ACQUIRE_TIMEOUT_MS;
  for (;;) {
    try {
      await locks.insertOne({ _id: key, owner, expiresAt: new Date(Date.now() + LOCK_LEASE_MS) });
      return;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const holder = await locks.findOne({ _id: key });
    if (holder && holder.expiresAt.getTime() <= Date.now()) {
      await locks.deleteOne({ _id: key, owner: holder.owner });
      continue;
    }
    if (Date.now() > deadline) {
      throw new StoreUnavailableError(`${key} is being changed by another writer; retry shortly`);
    }
    await sleep(5 + Math.random() * 20);
  }
}
