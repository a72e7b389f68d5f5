import type { FailureWindow } from '../../src/ports/accounts.ts';
import type { LoginThrottleStore } from '../../src/ports/login-throttle.ts';
import { StoreUnavailableError } from '../../src/ports/storage.ts';
import {
  loginThrottleOf,
  type LoginThrottleDocument,
  type MongoStoreContext,
} from './collections.ts';
import { createKeyQueue } from './key-queue.ts';
import { isDuplicateKeyError } from './store-errors.ts';

const toWindow = (document: LoginThrottleDocument): FailureWindow => ({
  count: document.count,
  firstAt: document.firstAt,
  lastAt: document.lastAt,
});

/**
 * Rounds of read and compare-and-set before giving up (503). A round is lost only to another
 * writer of the same key that won its own.
 */
const ATTEMPTS = 100;

/**
 * Failure counters keyed by their (hashed) key. A change is a compare-and-set
 * (conditional-writes.ts): read the document, let the caller decide, then write only over
 * exactly what was read (its count, times and retention in the filter of one updateOne; an
 * insert into the unique `_id` when there was none), re-reading when another writer came first.
 * The decision (login-throttle-policy.ts) is made in code, not in an update expression: not
 * every server has pipeline updates (docs/mongodb-storage.md "Atomicity"). Changes of one key
 * from this process queue in memory first (key-queue.ts).
 */
export function createMongoLoginThrottleStore(ctx: MongoStoreContext): LoginThrottleStore {
  // Resolved per call: the connection may be replaced (mongo-connection.ts).
  const counters = () => loginThrottleOf(ctx.db);
  const queue = createKeyQueue();
  const live = (document: LoginThrottleDocument | null, now: number) =>
    document && document.retainUntil.getTime() > now ? toWindow(document) : undefined;

  return {
    async changeWindow(key, change, { now, retainUntil }) {
      const documentKey = `login_throttle:${key}`;
      return queue.run(documentKey, () =>
        ctx.profile.conditionalWrites.compareAndSet([documentKey], async () => {
          for (let round = 0; round < ATTEMPTS; round += 1) {
            const stored = await counters().findOne({ _id: key });
            const { next, result } = change(live(stored, now));
            if (!next) return result;
            const fields = {
              count: next.count,
              firstAt: next.firstAt,
              lastAt: next.lastAt,
              retainUntil: new Date(Math.max(retainUntil, stored?.retainUntil.getTime() ?? 0)),
            };
            if (!stored) {
              try {
                await counters().insertOne({ _id: key, ...fields });
                return result;
              } catch (error) {
                if (!isDuplicateKeyError(error)) throw error;
                continue;
              }
            }
            const swapped = await counters().updateOne(
              {
                _id: key,
                count: stored.count,
                firstAt: stored.firstAt,
                lastAt: stored.lastAt,
                retainUntil: stored.retainUntil,
              },
              { $set: fields },
            );
            if (swapped.matchedCount === 1) return result;
          }
          throw new StoreUnavailableError(`login throttle counter ${key} is contended; retry`);
        }),
      );
    },

    async get(key, now) {
      return live(await counters().findOne({ _id: key }), now);
    },

    async clear(key) {
      await counters().deleteOne({ _id: key });
    },

    async pruneExpired(now) {
      const result = await counters().deleteMany({ retainUntil: { $lte: new Date(now) } });
      return result.deletedCount;
    },
  };
}
