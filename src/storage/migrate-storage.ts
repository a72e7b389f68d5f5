import { ensureMongoIndexes, type IndexReport } from '../../adapters/mongodb/indexes.ts';
import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { toStoreError } from '../../adapters/mongodb/store-errors.ts';
import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { Config } from '../config/config.ts';

export type MigrationReport =
  | { readonly kind: 'sqlite'; readonly path: string }
  | ({ readonly kind: 'mongodb'; readonly database: string } & IndexReport);

/**
 * Brings the configured store's schema up to date, idempotently (`tessera migrate`): SQLite
 * applies its pending migrations (adapters/sqlite/migrations.ts); MongoDB creates missing
 * indexes (adapters/mongodb/indexes.ts). Safe to run while Tessera serves.
 */
export async function migrateStorage(config: Config): Promise<MigrationReport> {
  if (config.storage.kind === 'sqlite') {
    // Opening the file runs the migrations.
    await openSqliteStorage({ path: config.storage.path }).close();
    return { kind: 'sqlite', path: config.storage.path };
  }
  const { dbName } = config.storage;
  const client = createMongoClient(config.storage.uri);
  try {
    const report = await ensureMongoIndexes(client.db(dbName));
    return { kind: 'mongodb', database: dbName, ...report };
  } catch (error) {
    throw toStoreError(error);
  } finally {
    await client.close();
  }
}
