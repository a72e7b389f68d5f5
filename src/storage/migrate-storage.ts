import { pino } from 'pino';

import { ensureMongoIndexes, type IndexReport } from '../../adapters/mongodb/indexes.ts';
import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { openMongoStorage } from '../../adapters/mongodb/open-mongodb-storage.ts';
import { toStoreError } from '../../adapters/mongodb/store-errors.ts';
import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { Config } from '../config/config.ts';
import type { Storage } from '../ports/storage.ts';
import { protectLegacyRecords } from '../provider/legacy-record-protection.ts';
import { createRecordSealer } from '../provider/model-record-protection.ts';
import { runDataMigrations, type DataMigrationReport } from './data-migrations.ts';

export type MigrationReport = (
  | { readonly kind: 'sqlite'; readonly path: string }
  | ({ readonly kind: 'mongodb'; readonly database: string } & IndexReport)
) & {
  /** The one-time data migrations this run performed (none when all had run before). */
  readonly dataMigrations: readonly DataMigrationReport[];
};

/** The data migrations of this version, in order (src/storage/data-migrations.ts). */
export const dataMigrationsFor = (config: Config) => [
  protectLegacyRecords(createRecordSealer(config.secrets.keyEncryptionKey)),
];

/**
 * Brings the configured store up to date, idempotently (`tessera migrate`): SQLite applies its
 * pending schema steps (adapters/sqlite/migrations.ts); MongoDB creates missing indexes
 * (adapters/mongodb/indexes.ts); then both run the pending data migrations. Safe to run while
 * Tessera serves (every step is idempotent; the server runs the same at startup).
 */
export async function migrateStorage(config: Config): Promise<MigrationReport> {
  const runPending = (storage: Storage) =>
    runDataMigrations(storage, dataMigrationsFor(config), {
      clock: Date.now,
      logger: pino({ level: 'silent' }),
    });
  if (config.storage.kind === 'sqlite') {
    // Opening the file runs the schema steps.
    const storage = openSqliteStorage({ path: config.storage.path });
    try {
      return {
        kind: 'sqlite',
        path: config.storage.path,
        dataMigrations: await runPending(storage),
      };
    } finally {
      await storage.close();
    }
  }
  const { uri, dbName } = config.storage;
  const client = createMongoClient(uri);
  let indexes: IndexReport;
  try {
    indexes = await ensureMongoIndexes(client.db(dbName));
  } catch (error) {
    throw toStoreError(error);
  } finally {
    await client.close();
  }
  const storage = await openMongoStorage({ uri, dbName });
  try {
    return {
      kind: 'mongodb',
      database: dbName,
      ...indexes,
      dataMigrations: await runPending(storage),
    };
  } finally {
    await storage.close();
  }
}
