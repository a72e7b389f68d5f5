import type { DataMigrationStore } from '../../src/ports/data-migrations.ts';
import { dataMigrationsOf, type MongoStoreContext } from './collections.ts';
import { isDuplicateKeyError } from './store-errors.ts';

export function createMongoDataMigrationStore(ctx: MongoStoreContext): DataMigrationStore {
  return {
    async completed() {
      const documents = await dataMigrationsOf(ctx.db)
        .find({}, { projection: { _id: 1 } })
        .toArray();
      return new Set(documents.map((document) => document._id));
    },
    async markCompleted(name, at) {
      try {
        await dataMigrationsOf(ctx.db).insertOne({ _id: name, completedAt: new Date(at) });
      } catch (error) {
        // Another replica recorded it first: the first record stands.
        if (!isDuplicateKeyError(error)) throw error;
      }
    },
  };
}
