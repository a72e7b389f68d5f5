import type { Page } from '../../src/ports/clients.ts';
import {
  completeResourceServerRecord,
  type ResourceServerRecord,
  type ResourceServerStore,
  type StoredResourceServerRecord,
} from '../../src/ports/resource-servers.ts';
import type { DeleteOptions, WriteOptions } from '../../src/ports/write-options.ts';
import { announceCatalogChange } from './catalog-generation-store.ts';
import {
  resourceServersOf,
  type MongoStoreContext,
  type ResourceServerDocument,
} from './collections.ts';
import { isStoreUnreachable } from './store-errors.ts';
import { inSession, writeRecordWithEvents } from './write-with-events.ts';

const toDocument = (record: ResourceServerRecord): ResourceServerDocument => ({
  _id: record.id,
  audience: record.audience,
  version: record.version,
  ...(record.configKey === undefined ? {} : { configKey: record.configKey }),
  record: JSON.stringify(record),
});

const toRecord = (document: Pick<ResourceServerDocument, 'record'>): ResourceServerRecord =>
  completeResourceServerRecord(JSON.parse(document.record) as StoredResourceServerRecord);

const RECORD_ONLY = { projection: { record: 1 } } as const;

/**
 * Resource servers keyed by id, with a unique index on `audience` (migrations.ts). Updates are
 * optimistic on `version`, and applied writes move the catalog generation, as in client-store.ts.
 */
export function createMongoResourceServerStore(ctx: MongoStoreContext): ResourceServerStore {
  // Looked up per call: the connection may have been replaced (mongo-connection.ts).
  const servers = () => resourceServersOf(ctx.db);
  const { conditionalWrites } = ctx.profile;

  /**
   * MongoDB reports an update that breaks the unique audience index as a duplicate key (which
   * writeRecordWithEvents answers false for); a server may report it as an internal error
   * without a code to tell (docs/mongodb-storage.md "Documents"). That update was refused when
   * another resource server holds the audience.
   */
  const isAudienceClash = async (error: unknown, record: ResourceServerRecord) => {
    if (isStoreUnreachable(error)) return false;
    const holder = await servers().findOne(
      { audience: record.audience },
      { projection: { _id: 1 } },
    );
    return holder !== null && holder._id !== record.id;
  };

  return {
    async insert(record: ResourceServerRecord, options?: WriteOptions) {
      const inserted = await writeRecordWithEvents(ctx, options, async (session) => {
        await servers().insertOne(toDocument(record), inSession(session));
        return 1;
      });
      return announceCatalogChange(ctx, inserted);
    },

    async get(id: string) {
      const document = await servers().findOne({ _id: id }, RECORD_ONLY);
      return document ? toRecord(document) : undefined;
    },

    async getByAudience(audience: string) {
      const document = await servers().findOne({ audience }, RECORD_ONLY);
      return document ? toRecord(document) : undefined;
    },

    async list(page: Page) {
      const documents = await servers()
        .find({ _id: { $gt: page.after ?? '' } }, RECORD_ONLY)
        .sort({ _id: 1 })
        .limit(page.limit)
        .toArray();
      return documents.map(toRecord);
    },

    async update(record: ResourceServerRecord, options?: WriteOptions) {
      let updated: boolean;
      try {
        updated = await conditionalWrites.compareAndSet([`resource_servers:${record.id}`], () =>
          writeRecordWithEvents(ctx, options, async (session) => {
            const { _id, ...fields } = toDocument(record);
            const result = await servers().updateOne(
              { _id, version: record.version - 1 },
              { $set: fields },
              inSession(session),
            );
            return result.matchedCount;
          }),
        );
      } catch (error) {
        if (await isAudienceClash(error, record)) return false;
        throw error;
      }
      return announceCatalogChange(ctx, updated);
    },

    async delete(id: string, options?: DeleteOptions) {
      const version = options?.expectedVersion;
      const remove = () =>
        writeRecordWithEvents(
          ctx,
          options,
          async (session) =>
            (
              await servers().deleteOne(
                version === undefined ? { _id: id } : { _id: id, version },
                inSession(session),
              )
            ).deletedCount,
        );
      // A compare-and-set like update (client-store.ts says why).
      const deleted =
        version === undefined
          ? await remove()
          : await conditionalWrites.compareAndSet([`resource_servers:${id}`], remove);
      return announceCatalogChange(ctx, deleted);
    },
  };
}
