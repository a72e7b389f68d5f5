import type { Logger } from 'pino';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { Config } from '../config/config.ts';
import type { Storage } from '../ports/storage.ts';

export interface OpenStorageDeps {
  readonly logger: Logger;
  readonly clock?: () => number;
}

/**
 * The store the configuration names: MongoDB when MONGODB_URI is set, else the embedded SQLite
 * file. On MongoDB, the pending schema steps (indexes, backfills) run first unless
 * TESSERA_MONGODB_ENSURE_INDEXES=false (then `tessera migrate` must have run). Fails when the
 * store cannot be reached.
 */
export async function openStorage(config: Config, deps: OpenStorageDeps): Promise<Storage> {
  const clockOption = deps.clock ? { clock: deps.clock } : {};
  if (config.storage.kind === 'sqlite') {
    return openSqliteStorage({ path: config.storage.path, ...clockOption });
  }
  // Loaded only here: the MongoDB driver (with bson's 17 MB serialisation buffer) costs a SQLite
  // Tessera ~30 MB of idle RSS it would never use (docs/benchmarks.md "Performance").
  const [{ openMongoStorage }, { migrateMongoDatabase }, { toStoreError }] = await Promise.all([
    import('../../adapters/mongodb/open-mongodb-storage.ts'),
    import('../../adapters/mongodb/run-migrations.ts'),
    import('../../adapters/mongodb/store-errors.ts'),
  ]);
  const { uri, dbName, ensureIndexes } = config.storage;
  const storage = await openMongoStorage({ uri, dbName, logger: deps.logger, ...clockOption });
  if (ensureIndexes) {
    try {
      const report = await migrateMongoDatabase(storage.client.db(dbName), {
        capabilities: storage.capabilities,
      });
      deps.logger.info(
        {
          database: dbName,
          applied: report.applied,
          created: report.created,
          existing: report.existing.length,
          ttlIndexes: !report.ttlUnsupported,
          backfilled: report.backfilled,
        },
        report.ttlUnsupported
          ? 'MongoDB schema up to date; the server has no TTL indexes, expired records are pruned every minute'
          : 'MongoDB schema up to date',
      );
    } catch (error) {
      await storage.close();
      throw toStoreError(error);
    }
  }
  deps.logger.info(
    {
      database: dbName,
      server: storage.capabilities.server,
      transactions: storage.capabilities.transactions,
    },
    'MongoDB storage open',
  );
  return storage;
}
