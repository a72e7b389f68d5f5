import type {
  ClientDeletionOptions,
  ClientRecord,
  ClientStore,
  Page,
} from '../../src/ports/clients.ts';
import { CLIENT_BOUND_MODELS, type OidcModelStore } from '../../src/ports/oidc-models.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import { announceCatalogChange } from './catalog-generation-store.ts';
import { clientsOf, type ClientDocument, type MongoStoreContext } from './collections.ts';
import { inSession, writeRecordWithEvents } from './write-with-events.ts';

const toDocument = (record: ClientRecord): ClientDocument => ({
  _id: record.clientId,
  version: record.version,
  ...(record.configKey === undefined ? {} : { configKey: record.configKey }),
  record: JSON.stringify(record),
});

const toRecord = (document: Pick<ClientDocument, 'record'>): ClientRecord =>
  JSON.parse(document.record) as ClientRecord;

/**
 * Clients keyed by client id (`_id`). The optimistic `version` filter is the compare-and-set
 * (ConditionalWrites.compareAndSet, conditional-writes.ts).
 * Every applied write then moves the catalog generation (catalog-generation-store.ts). A delete
 * also removes what the client holds, through `oidcModels` (ClientStore.delete).
 */
export function createMongoClientStore(
  ctx: MongoStoreContext,
  oidcModels: OidcModelStore,
): ClientStore {
  // Looked up per call: the connection may have been replaced (mongo-connection.ts).
  const clients = () => clientsOf(ctx.db);
  const { conditionalWrites } = ctx.profile;

  /**
   * Everything issued to the client, model by model, grants last. Each model's removal writes
   * its events by the outbox's settle rule (a transaction where the server has them), and each
   * is idempotent, so running this again completes what a failure cut short.
   */
  const removeHoldings = async (clientId: string, options: ClientDeletionOptions | undefined) => {
    const eventsFor = options?.eventsFor;
    for (const model of CLIENT_BOUND_MODELS) {
      await oidcModels.revokeByClientId(
        model,
        clientId,
        eventsFor ? { eventsFor: (removed) => eventsFor(model, removed) } : undefined,
      );
    }
  };

  return {
    async insert(record: ClientRecord, options?: WriteOptions) {
      const inserted = await writeRecordWithEvents(ctx, options, async (session) => {
        await clients().insertOne(toDocument(record), inSession(session));
        return 1;
      });
      return announceCatalogChange(ctx, inserted);
    },

    async get(clientId: string) {
      const document = await clients().findOne({ _id: clientId }, { projection: { record: 1 } });
      return document ? toRecord(document) : undefined;
    },

    async list(page: Page) {
      const documents = await clients()
        .find({ _id: { $gt: page.after ?? '' } }, { projection: { record: 1 } })
        .sort({ _id: 1 })
        .limit(page.limit)
        .toArray();
      return documents.map(toRecord);
    },

    async update(record: ClientRecord, options?: WriteOptions) {
      const updated = await conditionalWrites.compareAndSet([`clients:${record.clientId}`], () =>
        writeRecordWithEvents(ctx, options, async (session) => {
          const { _id, ...fields } = toDocument(record);
          const result = await clients().updateOne(
            { _id, version: record.version - 1 },
            { $set: fields },
            inSession(session),
          );
          return result.matchedCount;
        }),
      );
      return announceCatalogChange(ctx, updated);
    },

    async delete(clientId: string, options?: ClientDeletionOptions) {
      const version = options?.expectedVersion;
      // A stale If-Match removes nothing: checked first, and again by the record's own delete.
      if (version !== undefined) {
        const current = await clients().findOne({ _id: clientId }, { projection: { version: 1 } });
        if (current && current.version !== version) return false;
      }
      // No transaction spans the whole deletion (not every server has them; on a replica set one
      // would grow with the client's tokens). So the holdings go first and the record last: a
      // failure in between leaves the client, and repeating the delete completes it.
      await removeHoldings(clientId, options);
      const remove = () =>
        writeRecordWithEvents(
          ctx,
          options?.events ? { events: options.events } : undefined,
          async (session) =>
            (
              await clients().deleteOne(
                version === undefined ? { _id: clientId } : { _id: clientId, version },
                inSession(session),
              )
            ).deletedCount,
        );
      // A conditional delete is a compare-and-set like update, so that an update cannot land
      // between its check and its delete.
      const deleted =
        version === undefined
          ? await remove()
          : await conditionalWrites.compareAndSet([`clients:${clientId}`], remove);
      // What a replica still serving the client from its cache issued between the two.
      if (deleted) await removeHoldings(clientId, options);
      return announceCatalogChange(ctx, deleted);
    },
  };
}
