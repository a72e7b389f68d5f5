import { randomBytes } from 'node:crypto';

import type { CommandStartedEvent } from 'mongodb';

import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import {
  openMongoStorage,
  type MongoStorage,
} from '../../adapters/mongodb/open-mongodb-storage.ts';
import { migrateMongoDatabase } from '../../adapters/mongodb/run-migrations.ts';
import { mongodbUri } from './services.ts';

/** A database name of its own for one storage instance: parallel tests never share data. */
export const freshDatabaseName = (prefix = 'tessera_test') =>
  `${prefix}_${randomBytes(6).toString('hex')}`;

export interface TestMongoStorageOptions {
  readonly clock?: () => number;
  readonly uri?: string;
  readonly dbName?: string;
  /** See MigrateOptions.ttl: off whenever the test drives a fake clock. */
  readonly ttl?: boolean;
  /** Sees every command the storage sends (driver command monitoring). */
  readonly onCommand?: (event: CommandStartedEvent) => void;
}

/**
 * MongoDB storage on the run's test server (FerretDB, or MONGODB_URI) in a fresh database with
 * its schema steps applied; closing it drops that database.
 */
export async function openTestMongoStorage(
  options: TestMongoStorageOptions = {},
): Promise<MongoStorage> {
  const dbName = options.dbName ?? freshDatabaseName();
  const storage = await openMongoStorage({
    uri: options.uri ?? mongodbUri(),
    dbName,
    clientOptions: { monitorCommands: options.onCommand !== undefined },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await migrateMongoDatabase(storage.client.db(dbName), { ttl: options.ttl ?? false });
  if (options.onCommand) storage.client.on('commandStarted', options.onCommand);
  return {
    ...storage,
    async close() {
      try {
        await storage.client.db(dbName).dropDatabase();
      } finally {
        await storage.close();
      }
    },
  };
}

/** Drops a test database through a short-lived client of its own. */
export async function dropMongoDatabase(uri: string, dbName: string): Promise<void> {
  const client = createMongoClient(uri);
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}
