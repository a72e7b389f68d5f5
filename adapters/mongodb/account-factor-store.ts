import type { AccountFactor, AccountFactorStore } from '../../src/ports/account-factors.ts';
import {
  accountFactorsOf,
  type AccountFactorDocument,
  type MongoStoreContext,
} from './collections.ts';
import { inSession, writeRecordWithEvents, writeWithEvents } from './write-with-events.ts';

const toDocument = (factor: AccountFactor): AccountFactorDocument => ({
  _id: factor.id,
  accountId: factor.accountId,
  counter: factor.counter,
  createdAt: factor.createdAt,
  record: JSON.stringify(factor),
});

const toFactor = (document: Pick<AccountFactorDocument, 'record'>): AccountFactor =>
  JSON.parse(document.record) as AccountFactor;

/**
 * Factors keyed by their id as `_id`: the `_id` index refuses a credential id any account holds
 * already, on every server. recordUse is a filtered update on `counter`, a compare-and-set
 * (conditional-writes.ts); the server profile makes it one where a filter alone does not.
 */
export function createMongoAccountFactorStore(ctx: MongoStoreContext): AccountFactorStore {
  // Resolved per call: the connection may be replaced (mongo-connection.ts).
  const factors = () => accountFactorsOf(ctx.db);
  const { conditionalWrites } = ctx.profile;

  return {
    insert: (factor, options) =>
      writeRecordWithEvents(ctx, options, async (session) => {
        await factors().insertOne(toDocument(factor), inSession(session));
        return 1;
      }),

    async get(id) {
      const document = await factors().findOne({ _id: id }, { projection: { record: 1 } });
      return document ? toFactor(document) : undefined;
    },

    async listByAccount(accountId) {
      const documents = await factors()
        .find({ accountId }, { projection: { record: 1 } })
        .sort({ createdAt: 1, _id: 1 })
        .toArray();
      return documents.map(toFactor);
    },

    recordUse: (id, expectedCounter, use, options) =>
      conditionalWrites.compareAndSet([`account_factors:${id}`], async () => {
        const stored = await factors().findOne({ _id: id });
        if (!stored || stored.counter !== expectedCounter) return false;
        const current = toFactor(stored);
        const next: AccountFactor = {
          ...current,
          counter: use.counter,
          lastUsedAt: use.usedAt,
          data: use.data ?? current.data,
        };
        return writeRecordWithEvents(ctx, options, async (session) => {
          const { matchedCount } = await factors().updateOne(
            { _id: id, counter: expectedCounter },
            { $set: { counter: use.counter, record: JSON.stringify(next) } },
            inSession(session),
          );
          return matchedCount;
        });
      }),

    delete: (accountId, id, options) =>
      writeRecordWithEvents(ctx, options, async (session) => {
        const { deletedCount } = await factors().deleteOne(
          { _id: id, accountId },
          inSession(session),
        );
        return deletedCount;
      }),

    deleteByAccount: (accountId, options) =>
      writeWithEvents(ctx, options, async (session) => {
        const { deletedCount } = await factors().deleteMany({ accountId }, inSession(session));
        // Applied either way: a reset is announced even when there was nothing to remove.
        return { value: deletedCount, applied: true };
      }),
  };
}
