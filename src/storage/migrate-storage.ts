import { pino } from 'pino';

import { openMongoStorage } from '../../adapters/mongodb/open-mongodb-storage.ts';
import {
  migrateMongoDatabase,
  type MongoMigrationReport,
} from '../../adapters/mongodb/run-migrations.ts';
import { toStoreError } from '../../adapters/mongodb/store-errors.ts';
import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { Config } from '../config/config.ts';
import type { Storage } from '../ports/storage.ts';
import { rekeyUsernames, type RekeyReport } from '../services/usernames/username-rekey.ts';
import { dataMigrationsFor } from './data-migration-list.ts';
import { runDataMigrations, type DataMigrationReport } from './data-migrations.ts';

export type MigrationReport = (
  | { readonly kind: 'sqlite'; readonly path: string }
  | ({ readonly kind: 'mongodb'; readonly database: string } & MongoMigrationReport)
) & {
  /** The one-time data migrations this run performed (none when all had run before). */
  readonly dataMigrations: readonly DataMigrationReport[];
  /** What the username re-key did (services/usernames/username-rekey.ts). */
  readonly usernames: RekeyReport;
};

/** The data migrations, then the username re-key, through the store's ports; closes the store. */
async function migrateDataAndClose(
  config: Config,
  storage: Storage,
): Promise<{ dataMigrations: DataMigrationReport[]; usernames: RekeyReport }> {
  try {
    const dataMigrations = await runDataMigrations(storage, dataMigrationsFor(config), {
      clock: Date.now,
      logger: pino({ level: 'silent' }),
    });
    return { dataMigrations, usernames: await rekeyUsernames(storage.accounts) };
  } finally {
    await storage.close();
  }
}

/**
 * Brings the configured store up to date, idempotently (`tessera migrate`): SQLite applies its
 * pending schema steps (adapters/sqlite/migrations.ts); MongoDB its own
 * (adapters/mongodb/migrations.ts: indexes, lookup-field backfills). Then, on either, the pending one-time data migrations run, and
 * usernames stored under older rules get today's keys and skeletons (username-rekey.ts): what
 * only Tessera's own code can compute. Safe to run while Tessera serves (the server runs the
 * same at startup).
 */
export async function migrateStorage(config: Config): Promise<MigrationReport> {
  if (config.storage.kind === 'sqlite') {
    // Opening the file runs the schema steps.
    const storage = openSqliteStorage({ path: config.storage.path });
    return {
      kind: 'sqlite',
      path: config.storage.path,
      ...(await migrateDataAndClose(config, storage)),
    };
  }
  const { uri, dbName } = config.storage;
  // One connection for both: the schema steps on the open store's database, with the
  // capabilities it detected when it opened, then the data migrations through its ports.
  const storage = await openMongoStorage({ uri, dbName });
  let schema: MongoMigrationReport;
  try {
    schema = await migrateMongoDatabase(storage.client.db(dbName), {
      capabilities: storage.capabilities,
    });
  } catch (error) {
    await storage.close();
    throw toStoreError(error);
  }
  return {
    kind: 'mongodb',
    database: dbName,
    ...schema,
    ...(await migrateDataAndClose(config, storage)),
  };
}
