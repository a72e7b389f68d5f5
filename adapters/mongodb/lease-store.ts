import type { Lease, LeaseStore } from '../../src/ports/leases.ts';
import { leasesOf, type LeaseDocument, type MongoStoreContext } from './collections.ts';
import { isDuplicateKeyError } from './store-errors.ts';

const toLease = (document: LeaseDocument): Lease => ({
  name: document._id,
  holder: document.holder,
  expiresAt: document.expiresAt.getTime(),
});

/**
 * Leases as one document per name. Each operation is a single conditional write, a
 * compare-and-set (conditional-writes.ts): the filter decides (a taken lease makes the upsert
 * collide with the existing `_id`, which is the refusal).
 */
export function createMongoLeaseStore(ctx: MongoStoreContext): LeaseStore {
  // Looked up per call: the connection may have been replaced (mongo-connection.ts).
  const leases = () => leasesOf(ctx.db);
  const locked = <T>(name: string, work: () => Promise<T>) =>
    ctx.profile.conditionalWrites.compareAndSet([`leases:${name}`], work);

  return {
    async acquire(name, holder, ttlMs) {
      const now = ctx.clock();
      return locked(name, async () => {
        try {
          const taken = await leases().findOneAndUpdate(
            { _id: name, $or: [{ expiresAt: { $lte: new Date(now) } }, { holder }] },
            { $set: { holder, expiresAt: new Date(now + ttlMs) } },
            { upsert: true, returnDocument: 'after' },
          );
          return taken ? toLease(taken) : undefined;
        } catch (error) {
          // The lease exists and runs for someone else: the upsert's insert hit its `_id`.
          if (isDuplicateKeyError(error)) return undefined;
          throw error;
        }
      });
    },

    async renew(name, holder, ttlMs) {
      const now = ctx.clock();
      return locked(name, async () => {
        const renewed = await leases().findOneAndUpdate(
          { _id: name, holder, expiresAt: { $gt: new Date(now) } },
          { $set: { expiresAt: new Date(now + ttlMs) } },
          { returnDocument: 'after' },
        );
        return renewed ? toLease(renewed) : undefined;
      });
    },

    async release(name, holder) {
      await locked(name, () => leases().deleteOne({ _id: name, holder }));
    },

    async get(name) {
      const running = await leases().findOne({
        _id: name,
        expiresAt: { $gt: new Date(ctx.clock()) },
      });
      return running ? toLease(running) : undefined;
    },
  };
}
