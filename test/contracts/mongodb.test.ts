import { freshDatabaseName, openTestMongoStorage } from '../helpers/mongodb-storage.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { describeStorageContract } from './storage.contract.ts';

const databases = new WeakMap<Storage, string>();

// FerretDB from the test setup, or the server MONGODB_URI names; a fresh database per storage,
// or the database of the storage it shares.
describeStorageContract('mongodb', async (clock, sharing) => {
  const dbName = (sharing && databases.get(sharing)) ?? freshDatabaseName();
  const storage = await openTestMongoStorage({ clock, dbName });
  databases.set(storage, dbName);
  return storage;
});
