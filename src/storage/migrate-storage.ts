import { ensureMongoIndexes, type IndexReport } from '../../adapters/mongodb/indexes.ts';
import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { openMongoStorage } from '../../adapters/mongodb/open-mongodb-storage.ts';
import { toStoreError } from '../../adapters/mongodb/store-errors.ts';
import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { Config } from '../config/config.ts';
import type { Storage } from '../ports/storage.ts';
import { rekeyUsernames, type RekeyReport } from '../services/usernames/username-rekey.ts';

export type MigrationReport = (
  | { readonly kind: 'sqlite'; readonly path: string }
  | ({ readonly kind: 'mongodb'; readonly database: string } & IndexReport)
) & {
  /** What the username re-key did (services/usernames/username-rekey.ts). */
  readonly usernames: RekeyReport;
};

/** Re-keys the stored usernames through the store port, then closes the store. */
async function rekeyAndClose(storage: Storage): Promise<RekeyReport> {
  try {
    return await rekeyUsernames(storage.accounts);
  } finally {
    await storage.close();
  }
}

/**
 * Brings the configured store's schema up to date, idempotently (`tessera migrate`): SQLite
 * applies its pending migrations (adapters/sqlite/migrations.ts); MongoDB creates missing
 * indexes (adapters/mongodb/indexes.ts). Then, on either, usernames stored under older rules get
 * today's keys and skeletons, which only Tessera's own code can compute (username-rekey.ts).
 * Safe to run while Tessera serves.
 */
export async function migrateStorage(config: Config): Promise<MigrationReport> {
  if (config.storage.kind === 'sqlite') {
    // Opening the file runs the migrations.
    const usernames = await rekeyAndClose(openSqliteStorage({ path: config.storage.path }));
    return { kind: 'sqlite', path: config.storage.path, usernames };
  }
  const { uri, dbName } = config.storage;
  const client = createMongoClient(uri);
  let report: IndexReport;
  try {
    report = await ensureMongoIndexes(client.db(dbName));
  } catch (error) {
    throw toStoreError(error);
  } finally {
    await client.close();
  }
  const usernames = await rekeyAndClose(await openMongoStorage({ uri, dbName }));
  return { kind: 'mongodb', database: dbName, ...report, usernames };
}
