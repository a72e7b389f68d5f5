import type { AnyBulkWriteOperation, ClientSession } from 'mongodb';

import type {
  OutboxBacklog,
  OutboxEvent,
  OutboxQuery,
  OutboxStore,
  PendingQuery,
  PruneQuery,
  StoredOutboxEvent,
} from '../../src/ports/outbox.ts';
import { countersOf, outboxOf, type MongoHandle, type OutboxDocument } from './collections.ts';
import { isDuplicateKeyError, retryLostUpsertRace } from './store-errors.ts';

/**
 * Sequence clashes only happen where `$inc` is not atomic (conditional-writes.ts): every attempt
 * lets at least one of the clashing writers through, and a short random pause spreads the rest.
 */
const MAX_APPEND_ATTEMPTS = 20;
const pauseAfterClash = () =>
  new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 10)));

/**
 * Hands out `count` consecutive outbox sequences from a counter document. Reserved outside any
 * transaction on purpose: a counter updated inside concurrent transactions would make them
 * conflict with each other. The cost is that sequences may have gaps and may become visible out
 * of order across concurrent writers, so a relay must select pending events by `publishedAt`
 * (ordered by sequence), never by "sequence above the last one I saw".
 */
async function reserveSequences(ctx: MongoHandle, count: number): Promise<number> {
  const counter = await retryLostUpsertRace(() =>
    countersOf(ctx.db).findOneAndUpdate(
      { _id: 'outbox' },
      { $inc: { value: count } },
      { upsert: true, returnDocument: 'after' },
    ),
  );
  if (!counter) throw new Error('outbox counter upsert returned nothing');
  return counter.value - count + 1;
}

function toDocument(event: OutboxEvent, sequence: number, now: number): OutboxDocument {
  return {
    _id: event.id,
    sequence,
    type: event.type,
    key: event.key,
    event: JSON.stringify(event),
    createdAt: new Date(now),
    publishedAt: null,
  };
}

/**
 * Appends events (idempotently: an id already present keeps its first copy) and returns the ids
 * this call inserted. With a session, the inserts join that transaction.
 */
export async function appendOutboxEvents(
  ctx: MongoHandle,
  events: readonly OutboxEvent[],
  session?: ClientSession,
): Promise<string[]> {
  const inserted: string[] = [];
  let pending = [...new Map(events.map((event) => [event.id, event])).values()];
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    const first = await reserveSequences(ctx, pending.length);
    const now = ctx.clock();
    const operations: AnyBulkWriteOperation<OutboxDocument>[] = pending.map((event, index) => ({
      updateOne: {
        filter: { _id: event.id },
        update: { $setOnInsert: toDocument(event, first + index, now) },
        upsert: true,
      },
    }));
    try {
      const result = await outboxOf(ctx.db).bulkWrite(operations, {
        ordered: false,
        ...(session ? { session } : {}),
      });
      inserted.push(...Object.values(result.upsertedIds).map(String));
      return inserted;
    } catch (error) {
      // Outside a transaction, a duplicate key here is a sequence taken by a concurrent append
      // (or, where updates are not atomic, a concurrent upsert of the same id): retry the events
      // not yet in.
      if (session || attempt >= MAX_APPEND_ATTEMPTS || !isDuplicateKeyError(error)) throw error;
      // Ask the collection which got in, not the error: a server may stop an unordered batch at
      // its first failed upsert and report neither the skipped operations nor upserted ids
      // (docs/mongodb-storage.md "Outbox"), so trusting the error's writeErrors could drop events.
      const ids = pending.map((event) => event.id);
      const present = new Set(
        (
          await outboxOf(ctx.db)
            .find({ _id: { $in: ids } }, { projection: { _id: 1 } })
            .toArray()
        ).map((document) => document._id),
      );
      inserted.push(...ids.filter((id) => present.has(id)));
      pending = pending.filter((event) => !present.has(event.id));
      if (pending.length > 0) await pauseAfterClash();
    }
  }
  return inserted;
}

/** Takes back events whose change did not happen (the non-transactional path). */
export async function removeOutboxEvents(ctx: MongoHandle, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await outboxOf(ctx.db).deleteMany({ _id: { $in: [...ids] } });
}

function toStoredEvent(document: OutboxDocument): StoredOutboxEvent {
  return {
    ...(JSON.parse(document.event) as OutboxEvent),
    sequence: document.sequence,
    createdAt: document.createdAt.getTime(),
    publishedAt: document.publishedAt?.getTime() ?? undefined,
  };
}

export function createMongoOutboxStore(ctx: MongoHandle): OutboxStore {
  return {
    async append(events: readonly OutboxEvent[]) {
      await appendOutboxEvents(ctx, events);
    },

    async listRecent(query: OutboxQuery): Promise<StoredOutboxEvent[]> {
      const documents = await outboxOf(ctx.db)
        .find(query.type === undefined ? {} : { type: query.type })
        .sort({ sequence: -1 })
        .limit(query.limit)
        .toArray();
      return documents.map(toStoredEvent);
    },

    async listPending(query: PendingQuery): Promise<StoredOutboxEvent[]> {
      // The pending_in_order index ({publishedAt, sequence}) serves the filter and the order.
      const documents = await outboxOf(ctx.db)
        .find({ publishedAt: null, createdAt: { $lte: new Date(query.appendedUpTo) } })
        .sort({ sequence: 1 })
        .limit(query.limit)
        .toArray();
      return documents.map(toStoredEvent);
    },

    async markPublished(ids: readonly string[], publishedAt: number) {
      if (ids.length === 0) return;
      await outboxOf(ctx.db).updateMany(
        { _id: { $in: [...ids] }, publishedAt: null },
        { $set: { publishedAt: new Date(publishedAt) } },
      );
    },

    async prune(query: PruneQuery) {
      const before = new Date(query.before);
      const published = await outboxOf(ctx.db).deleteMany({
        publishedAt: { $lt: before },
      });
      const unpublished = query.unpublished
        ? await outboxOf(ctx.db).deleteMany({ publishedAt: null, createdAt: { $lt: before } })
        : { deletedCount: 0 };
      return published.deletedCount + unpublished.deletedCount;
    },

    async backlog(): Promise<OutboxBacklog> {
      const pending = { publishedAt: null };
      const [count, oldest] = await Promise.all([
        outboxOf(ctx.db).countDocuments(pending),
        outboxOf(ctx.db).findOne(pending, { sort: { sequence: 1 }, projection: { createdAt: 1 } }),
      ]);
      return { pending: count, oldestPendingAt: oldest?.createdAt.getTime() };
    },
  };
}
