import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { StoreUnavailableError } from '../../src/ports/storage.ts';
import { documentLocksOf, type MongoStoreContext } from './collections.ts';
import { isDuplicateKeyError } from './store-errors.ts';

/** A holder that has not released after this long is presumed gone (wall clock, across processes). */
const LOCK_LEASE_MS = 10_000;
/** How long a writer waits for a busy document before giving up with a 503. */
const ACQUIRE_TIMEOUT_MS = 3_000;

/**
 * Runs `work` while holding a write lock on each of `keys` (`<collection>:<id>`), so that the
 * conditional updates inside it act as compare-and-set. Only where the server's conditional
 * updates are not atomic (FerretDB, see server-capabilities.ts); on MongoDB it just runs `work`.
 *
 * The lock is an insert into a unique `_id`, which FerretDB does perform atomically. Keys are
 * taken in sorted order, so two writers locking overlapping sets cannot deadlock. A lock whose
 * lease ran out (its holder crashed) is taken over; deleting it is itself a read-then-delete on
 * FerretDB, so two writers taking over the same abandoned lock at the same instant could both
 * proceed: a window that needs a crash first, accepted for a test server.
 */
export async function withDocumentLocks<T>(
  ctx: MongoStoreContext,
  keys: readonly string[],
  work: () => Promise<T>,
): Promise<T> {
  if (ctx.capabilities.atomicConditionalUpdates) return work();
  const locks = documentLocksOf(ctx.db);
  const owner = randomUUID();
  const held: string[] = [];
  try {
    for (const key of [...new Set(keys)].sort()) {
      await acquire(ctx, key, owner);
      held.push(key);
    }
    return await work();
  } finally {
    if (held.length > 0) await locks.deleteMany({ _id: { $in: held }, owner });
  }
}

async function acquire(ctx: MongoStoreContext, key: string, owner: string): Promise<void> {
  const locks = documentLocksOf(ctx.db);
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
