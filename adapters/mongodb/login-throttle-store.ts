import type { FailureWindow } from '../../src/ports/accounts.ts';
import type { LoginThrottleStore } from '../../src/ports/login-throttle.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import {
  loginThrottleOf,
  type LoginThrottleDocument,
  type MongoStoreContext,
} from './collections.ts';
import { withDocumentLocks } from './document-locks.ts';
import { isDuplicateKeyError } from './store-errors.ts';
import { inSession, writeWithEvents } from './write-with-events.ts';

const toWindow = (document: LoginThrottleDocument): FailureWindow => ({
  count: document.count,
  firstAt: document.firstAt,
  lastAt: document.lastAt,
});

/** Tries before giving up when other writers keep creating and resetting the same counter. */
const ATTEMPTS = 8;

/**
 * Failure counters keyed by their (hashed) key. Counting is one atomic findOneAndUpdate per
 * case, no pipeline update (FerretDB 1.x has none): increment a live window, else restart a
 * stale one, else create it — a lost insert race goes round again. Where conditional updates
 * are not atomic (FerretDB) a document lock serialises the writers of one key.
 */
export function createMongoLoginThrottleStore(ctx: MongoStoreContext): LoginThrottleStore {
  // Resolved per call: the connection may be replaced (mongo-connection.ts).
  const counters = () => loginThrottleOf(ctx.db);
  return {
    async recordFailure(key, { now, windowMs, retainUntil }, options?: WriteOptions) {
      const cutoff = now - windowMs;
      const retain = new Date(retainUntil);
      return withDocumentLocks(ctx, [`login_throttle:${key}`], () =>
        writeWithEvents(ctx, options, async (session) => {
          for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
            const counted = await counters().findOneAndUpdate(
              { _id: key, firstAt: { $gt: cutoff }, retainUntil: { $gt: new Date(now) } },
              { $inc: { count: 1 }, $set: { lastAt: now }, $max: { retainUntil: retain } },
              { ...inSession(session), returnDocument: 'after' },
            );
            if (counted) return { value: toWindow(counted), applied: true };
            // Only a window that is still stale restarts: another writer may have just done so.
            const restarted = await counters().findOneAndUpdate(
              {
                _id: key,
                $or: [{ firstAt: { $lte: cutoff } }, { retainUntil: { $lte: new Date(now) } }],
              },
              { $set: { count: 1, firstAt: now, lastAt: now, retainUntil: retain } },
              { ...inSession(session), returnDocument: 'after' },
            );
            if (restarted) return { value: toWindow(restarted), applied: true };
            const created: LoginThrottleDocument = {
              _id: key,
              count: 1,
              firstAt: now,
              lastAt: now,
              retainUntil: retain,
            };
            try {
              await counters().insertOne(created, inSession(session));
              return { value: toWindow(created), applied: true };
            } catch (error) {
              if (!isDuplicateKeyError(error)) throw error;
            }
          }
          throw new Error(`login throttle counter ${key} is contended; retry`);
        }),
      );
    },

    async get(key, now) {
      const document = await counters().findOne({ _id: key, retainUntil: { $gt: new Date(now) } });
      return document ? toWindow(document) : undefined;
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
