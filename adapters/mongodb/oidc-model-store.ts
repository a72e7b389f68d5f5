import type { ClientSession, Filter } from 'mongodb';

import {
  ACCOUNT_BOUND_MODELS,
  isClientBound,
  type OidcModelName,
  type OidcModelStore,
  type OidcPayload,
  type RemovalOptions,
} from '../../src/ports/oidc-models.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import {
  consumptionsOf,
  oidcModelsOf,
  OIDC_MODEL_COLLECTIONS,
  type MongoStoreContext,
  type OidcModelDocument,
} from './collections.ts';
import { isDuplicateKeyError, retryLostUpsertRace } from './store-errors.ts';
import { inSession, writeWithEvents } from './write-with-events.ts';

// Plain finds only: findAndModify takes no projection on every server (docs/mongodb-storage.md).
const PAYLOAD_FIELDS = { payload: 1, consumedAt: 1, expiresAt: 1 } as const;

/**
 * Expired records are absent on every read, whether or not a TTL index removed them yet. The
 * expiry is checked here rather than in the query: a filter on `_id` (or one indexed lookup
 * field) alone is an index lookup on every server, whereas an `$or` on expiry is not on all of
 * them (docs/mongodb-storage.md "Expiry": a scan per introspection on the test server).
 */
const isLive = (document: Pick<OidcModelDocument, 'expiresAt'>, now: number): boolean =>
  document.expiresAt === null ||
  document.expiresAt === undefined ||
  document.expiresAt.getTime() > now;

function toPayload(
  document: Pick<OidcModelDocument, 'payload' | 'consumedAt'> | null,
): OidcPayload | undefined {
  if (!document) return undefined;
  const payload = JSON.parse(document.payload) as OidcPayload;
  return document.consumedAt
    ? { ...payload, consumed: Math.floor(document.consumedAt.getTime() / 1000) }
    : payload;
}

/** Documents one removal of a client's records takes at most (revokeByClientId). */
const CLIENT_REMOVAL_BATCH = 500;

const toPayloadOf = (document: Pick<OidcModelDocument, 'payload' | 'consumedAt'>) =>
  toPayload(document) as OidcPayload;

function lookupField(
  payload: OidcPayload,
  field: 'accountId' | 'clientId' | 'grantId' | 'uid' | 'userCode',
): string | null {
  const value = payload[field];
  return typeof value === 'string' ? value : null;
}

/** A record's stored fields but `_id` and `consumedAt`: its payload and lookup fields. */
function documentFields(
  model: OidcModelName,
  payload: OidcPayload,
  expiresAt: Date | null,
): Omit<OidcModelDocument, '_id' | 'consumedAt'> {
  return {
    payload: JSON.stringify(payload),
    grantId: lookupField(payload, 'grantId'),
    uid: lookupField(payload, 'uid'),
    userCode: lookupField(payload, 'userCode'),
    // Top level, like the other lookup fields: no dotted field paths (collections.ts).
    ...(ACCOUNT_BOUND_MODELS.has(model) ? { accountId: lookupField(payload, 'accountId') } : {}),
    ...(isClientBound(model) ? { clientId: lookupField(payload, 'clientId') } : {}),
    expiresAt,
  };
}

export function createMongoOidcModelStore(ctx: MongoStoreContext): OidcModelStore {
  const { clock } = ctx;
  const { eventWrites, conditionalWrites } = ctx.profile;
  // Looked up per call: the connection may have been replaced (mongo-connection.ts).
  const collection = (model: OidcModelName) => oidcModelsOf(ctx.db, model);

  const findLive = async (model: OidcModelName, filter: Filter<OidcModelDocument>) => {
    const document = await collection(model).findOne(filter, { projection: PAYLOAD_FIELDS });
    return document && isLive(document, clock()) ? toPayload(document) : undefined;
  };

  /**
   * A removal whose events are built from what it removes (RemovalOptions.eventsFor): a read,
   * then the deletion of exactly the documents read (by id, so nothing is removed that has no
   * event), with the events (EventWrites.writeDerived). If a concurrent removal took them all
   * first, this one did not apply — that removal recorded its own events.
   */
  const removeWithDerivedEvents = (
    model: OidcModelName,
    filter: Filter<OidcModelDocument>,
    options: RemovalOptions,
    derive: RemovalOptions['eventsFor'],
    limit = 0,
  ): Promise<OidcPayload[]> =>
    eventWrites.writeDerived({
      async read(session: ClientSession | undefined) {
        const found = await collection(model)
          .find(filter, { projection: { _id: 1, ...PAYLOAD_FIELDS }, ...inSession(session) })
          .limit(limit)
          .toArray();
        return { ids: found.map((document) => document._id), payloads: found.map(toPayloadOf) };
      },
      eventsFor: ({ payloads }) => [...(options.events ?? []), ...(derive?.(payloads) ?? [])],
      async apply({ ids, payloads }, session) {
        if (ids.length === 0) return { value: payloads, applied: true };
        const { deletedCount } = await collection(model).deleteMany(
          { _id: { $in: ids } },
          inSession(session),
        );
        return { value: payloads, applied: deletedCount > 0 };
      },
    });

  return {
    async upsert(model, id, payload, expiresInSeconds) {
      const now = clock();
      // $set leaves consumedAt alone, as the SQLite adapter's ON CONFLICT update does.
      await retryLostUpsertRace(() =>
        collection(model).updateOne(
          { _id: id },
          {
            $set: documentFields(
              model,
              payload,
              expiresInSeconds === undefined ? null : new Date(now + expiresInSeconds * 1000),
            ),
          },
          { upsert: true },
        ),
      );
    },

    async insertIfAbsent(model, id, payload, expiresInSeconds) {
      const now = clock();
      const document: OidcModelDocument = {
        ...documentFields(model, payload, new Date(now + expiresInSeconds * 1000)),
        _id: id,
      };
      // An insert into the unique `_id` index is atomic on every server: of concurrent inserts
      // of one id, one succeeds and the others get a duplicate-key error.
      const insert = async (): Promise<boolean> => {
        try {
          await collection(model).insertOne(document);
          return true;
        } catch (error) {
          if (isDuplicateKeyError(error)) return false;
          throw error;
        }
      };
      if (await insert()) return true;
      // The id is taken. An expired record (a TTL index may not have removed it yet, or the
      // server has none) counts as absent: remove it, then insert again, and the index still
      // decides between concurrent callers that both found it expired. The filtered delete is a
      // compare-and-set on the expiry: where that is not atomic on its own, a caller that read
      // the expired record could delete the live one another caller just inserted.
      return conditionalWrites.compareAndSet([`${model}:${id}`], async () => {
        const { deletedCount } = await collection(model).deleteOne({
          _id: id,
          expiresAt: { $lte: new Date(now) },
        });
        return deletedCount === 1 && insert();
      });
    },

    find: (model, id) => findLive(model, { _id: id }),
    findByUid: (model, uid) => findLive(model, { uid }),
    findByUserCode: (model, userCode) => findLive(model, { userCode }),

    async findByAccountId(model, accountId) {
      // One query on the accountId index (migrations.ts); expiry checked in code, as in findLive.
      const now = clock();
      const found = await collection(model)
        .find({ accountId }, { projection: PAYLOAD_FIELDS })
        .toArray();
      return found.filter((document) => isLive(document, now)).map(toPayloadOf);
    },

    async findByClientId(model, clientId) {
      // One query on the clientId index (migrations.ts); expiry checked in code, as in findLive.
      const now = clock();
      const found = await collection(model)
        .find({ clientId }, { projection: PAYLOAD_FIELDS })
        .toArray();
      return found.filter((document) => isLive(document, now)).map(toPayloadOf);
    },

    async consume(model, id, options?: WriteOptions) {
      const now = clock();
      return writeWithEvents(ctx, options, async (session) => {
        // One conditional update: only one caller can match `consumedAt: null`.
        const consumed = await collection(model).findOneAndUpdate(
          { _id: id, consumedAt: null },
          { $set: { consumedAt: new Date(now) } },
          inSession(session),
        );
        // An expired record is absent: marking it consumed changes nothing anyone can read.
        if (!consumed || !isLive(consumed, now)) return { value: false, applied: false };
        // Where the filter alone does not decide, the server profile names the one winner.
        const won = await conditionalWrites.confirmSoleWinner(
          `${model}:${id}`,
          consumed.expiresAt ?? null,
        );
        return { value: won, applied: won };
      });
    },

    async destroy(model, id, options?: RemovalOptions) {
      if (options?.eventsFor) {
        const [removed] = await removeWithDerivedEvents(
          model,
          { _id: id },
          options,
          options.eventsFor,
        );
        return removed;
      }
      return writeWithEvents(ctx, options, async (session) => {
        const removed = await collection(model).findOneAndDelete({ _id: id }, inSession(session));
        return { value: toPayload(removed), applied: true };
      });
    },

    async revokeByGrantId(model, grantId, options?: RemovalOptions) {
      if (options?.eventsFor) {
        return removeWithDerivedEvents(model, { grantId }, options, options.eventsFor);
      }
      return writeWithEvents(ctx, options, async (session) => {
        // Both operations use the grantId index (migrations.ts); nothing is scanned.
        const found = await collection(model)
          .find({ grantId }, { projection: PAYLOAD_FIELDS, ...inSession(session) })
          .toArray();
        if (found.length > 0) await collection(model).deleteMany({ grantId }, inSession(session));
        return { value: found.map(toPayloadOf), applied: true };
      });
    },

    async revokeByClientId(model, clientId, options?: RemovalOptions) {
      // In batches: a client may hold tens of thousands of tokens (client credentials), too many
      // for one `$in` or one transaction. Each batch is one removal with its events; what one
      // finds is deleted by id, and the next finds the rest (`options.events` go with the first).
      const removed: OidcPayload[] = [];
      for (let batch = 0; ; batch += 1) {
        const found = await removeWithDerivedEvents(
          model,
          { clientId },
          batch === 0 ? (options ?? {}) : {},
          options?.eventsFor,
          CLIENT_REMOVAL_BATCH,
        );
        removed.push(...found);
        if (found.length < CLIENT_REMOVAL_BATCH) return removed;
      }
    },

    async pruneExpired() {
      const expired = { expiresAt: { $lte: new Date(clock()) } };
      const results = await Promise.all([
        ...Object.values(OIDC_MODEL_COLLECTIONS).map((name) =>
          ctx.db.collection<OidcModelDocument>(name).deleteMany(expired),
        ),
        // The consumption markers of servers whose updates are not atomic (document-locks.ts).
        consumptionsOf(ctx.db).deleteMany(expired),
      ]);
      return results.reduce((total, result) => total + result.deletedCount, 0);
    },

    async rewriteAll(model, rewrite) {
      let replaced = 0;
      for await (const document of collection(model).find({})) {
        const replacement = rewrite({
          id: document._id,
          payload: JSON.parse(document.payload) as OidcPayload,
        });
        if (!replacement) continue;
        // Insert, then delete: no transaction needed, and a pass cut short between the two is
        // completed by the next one (its insert finds the replacement there and moves on).
        try {
          await collection(model).insertOne({
            ...documentFields(model, replacement.payload, document.expiresAt),
            _id: replacement.id,
            ...(document.consumedAt ? { consumedAt: document.consumedAt } : {}),
          });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
        }
        await collection(model).deleteOne({ _id: document._id });
        replaced += 1;
      }
      return replaced;
    },
  };
}
