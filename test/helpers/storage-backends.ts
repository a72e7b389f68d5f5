import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TesseraOptions } from '../../src/compose.ts';
import { dropMongoDatabase, freshDatabaseName } from './mongodb-storage.ts';
import { mongodbUri } from './services.ts';
import { startTestTessera, testSecrets, type TestTessera } from './test-tessera.ts';

export type StorageBackend = 'sqlite' | 'mongodb';

/** Every store Tessera ships, for protocol tests that must hold on each (describe.each). */
export const STORAGE_BACKENDS: readonly StorageBackend[] = ['sqlite', 'mongodb'];

/**
 * startTestTessera on the given store, selected through the environment as in production. On
 * MongoDB the instance gets a fresh database on the run's test server, dropped when it stops.
 */
export async function startTestTesseraOn(
  backend: StorageBackend,
  env: Record<string, string> = {},
  options: Omit<TesseraOptions, 'logger'> = {},
): Promise<TestTessera> {
  if (backend === 'sqlite') return startTestTessera(env, options);
  const uri = mongodbUri();
  const dbName = freshDatabaseName();
  const instance = await startTestTessera(
    { MONGODB_URI: uri, MONGODB_DB: dbName, ...env },
    options,
  );
  return {
    ...instance,
    async stop() {
      await instance.stop();
      await dropMongoDatabase(uri, dbName);
    },
  };
}

/**
 * The same store and secrets for every replica started with it, as pods of one deployment share
 * them. On MongoDB a fresh database on the run's test server. The caller removes both with
 * removeSharedStore once its replicas have stopped.
 */
export function sharedStoreEnv(backend: StorageBackend): Record<string, string> {
  const common = { ...testSecrets(), TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-')) };
  return backend === 'sqlite'
    ? common
    : { ...common, MONGODB_URI: mongodbUri(), MONGODB_DB: freshDatabaseName() };
}

/** Drops what sharedStoreEnv made: its MongoDB database, if any, and its data directory. */
export async function removeSharedStore(env: Record<string, string>): Promise<void> {
  if (env['MONGODB_DB']) await dropMongoDatabase(env['MONGODB_URI'] ?? '', env['MONGODB_DB']);
  if (env['TESSERA_DATA_DIR']) rmSync(env['TESSERA_DATA_DIR'], { recursive: true, force: true });
}
