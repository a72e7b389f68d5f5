import type { MongoClient } from 'mongodb';

import type { Storage } from '../../src/ports/storage.ts';
import { createMongoClientStore } from './client-store.ts';
import type { MongoStoreContext } from './collections.ts';
import { createMongoOidcModelStore } from './oidc-model-store.ts';
import { createMongoOutboxStore } from './outbox-store.ts';
import { createMongoResourceServerStore } from './resource-server-store.ts';
import { detectServerCapabilities, type ServerCapabilities } from './server-capabilities.ts';
import { createMongoSigningKeyStore } from './signing-key-store.ts';
import { guardStoreErrors, toStoreError } from './store-errors.ts';

export interface MongoStorageOptions {
  /** From createMongoClient; the storage owns it from now on and closes it on close(). */
  readonly client: MongoClient;
  readonly dbName: string;
  readonly clock?: () => number;
}

export interface MongoStorage extends Storage {
  readonly kind: 'mongodb';
  readonly capabilities: ServerCapabilities;
}

/**
 * The production store (DESIGN.md section 2): every port on one MongoDB database. Asks the server
 * what it can do (transactions, atomic conditional updates) once, so it needs the store to be
 * reachable; indexes are ensureMongoIndexes' job (startup or `tessera migrate`).
 *
 * Adding a port: write `<port>-store.ts` taking a MongoStoreContext (collections.ts names its
 * collections and documents, write-with-events.ts appends its outbox events, indexes.ts its
 * indexes) and register it here; guardStoreErrors maps an unreachable store to 503 for it.
 */
export async function openMongoStorage(options: MongoStorageOptions): Promise<MongoStorage> {
  const { client } = options;
  const db = client.db(options.dbName);
  let capabilities: ServerCapabilities;
  try {
    capabilities = await detectServerCapabilities(db);
  } catch (error) {
    await client.close();
    throw toStoreError(error);
  }
  const ctx: MongoStoreContext = {
    client,
    db,
    capabilities,
    clock: options.clock ?? Date.now,
  };
  return {
    kind: 'mongodb',
    capabilities,
    oidcModels: guardStoreErrors(createMongoOidcModelStore(ctx)),
    clients: guardStoreErrors(createMongoClientStore(ctx)),
    resourceServers: guardStoreErrors(createMongoResourceServerStore(ctx)),
    signingKeys: guardStoreErrors(createMongoSigningKeyStore(ctx)),
    outbox: guardStoreErrors(createMongoOutboxStore(ctx)),
    async ping() {
      try {
        await db.command({ ping: 1 });
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async close() {
      await client.close();
    },
  };
}
