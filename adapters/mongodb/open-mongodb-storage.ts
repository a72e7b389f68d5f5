import type { MongoClient, MongoClientOptions } from 'mongodb';
import type { Logger } from 'pino';

import type { Storage } from '../../src/ports/storage.ts';
import { createMongoAccountFactorStore } from './account-factor-store.ts';
import { createMongoAccountStore } from './account-store.ts';
import { createMongoCatalogGenerationStore } from './catalog-generation-store.ts';
import { createMongoClientStore } from './client-store.ts';
import type { MongoHandle, MongoStoreContext } from './collections.ts';
import { createMongoDataMigrationStore } from './data-migration-store.ts';
import { createMongoLeaseStore } from './lease-store.ts';
import { createMongoLoginThrottleStore } from './login-throttle-store.ts';
import { createMongoConnection } from './mongo-connection.ts';
import { createMongoOidcModelStore } from './oidc-model-store.ts';
import { createMongoOutboxStore } from './outbox-store.ts';
import { createMongoResourceServerStore } from './resource-server-store.ts';
import { createMongoRevokedJwtStore } from './revoked-jwt-store.ts';
import { detectServerCapabilities, profileFor, type ServerCapabilities } from './server-profile.ts';
import { createMongoSigningKeyStore } from './signing-key-store.ts';
import { trackAvailability } from './store-availability.ts';
import { guardStoreErrors, toStoreError } from './store-errors.ts';

export interface MongoStorageOptions {
  /** A MongoDB connection string; its options win over Tessera's defaults (mongo-client.ts). */
  readonly uri: string;
  readonly dbName: string;
  /** Extra driver options (tests and benchmarks: `monitorCommands`). */
  readonly clientOptions?: MongoClientOptions;
  readonly clock?: () => number;
  /** Hears when the store becomes unreachable and when it is back (once per change). */
  readonly logger?: Logger;
}

export interface MongoStorage extends Storage {
  readonly kind: 'mongodb';
  readonly capabilities: ServerCapabilities;
  /** The client in use now (it is replaced if it gets stuck, see mongo-connection.ts). */
  readonly client: MongoClient;
}

/**
 * The production store: every port on one MongoDB database. Asks the server what it can do once
 * and picks the server profile from that (server-profile.ts), so it needs the store to be
 * reachable; indexes and backfills are the migrations' job (run-migrations.ts: startup or
 * `tessera migrate`).
 *
 * Adding a port: write `<port>-store.ts` taking a MongoStoreContext (collections.ts names its
 * collections and documents, write-with-events.ts appends its outbox events, conditional-writes.ts
 * makes its compare-and-sets, a new step in migrations.ts adds its indexes) and register it here;
 * guardStoreErrors maps an unreachable store to 503 for it.
 */
export async function openMongoStorage(options: MongoStorageOptions): Promise<MongoStorage> {
  const connection = createMongoConnection({
    uri: options.uri,
    dbName: options.dbName,
    ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
  });
  let capabilities: ServerCapabilities;
  try {
    capabilities = await detectServerCapabilities(connection.db);
  } catch (error) {
    await connection.close();
    throw toStoreError(error);
  }
  const availability = trackAvailability({ logger: options.logger, connection });
  const guard = <Port extends object>(port: Port) => guardStoreErrors(port, { availability });
  const handle: MongoHandle = {
    get client() {
      return connection.client;
    },
    get db() {
      return connection.db;
    },
    clock: options.clock ?? Date.now,
  };
  const profile = profileFor(capabilities, handle);
  const ctx: MongoStoreContext = {
    get client() {
      return handle.client;
    },
    get db() {
      return handle.db;
    },
    clock: handle.clock,
    profile,
  };
  // /readyz pings: its failures and recoveries count like any other operation's.
  const health = guard({
    ping: async (): Promise<void> => {
      await connection.db.command({ ping: 1 });
    },
  });
  const oidcModels = createMongoOidcModelStore(ctx);
  return {
    kind: 'mongodb',
    capabilities,
    get client() {
      return connection.client;
    },
    oidcModels: guard(oidcModels),
    clients: guard(createMongoClientStore(ctx, oidcModels)),
    resourceServers: guard(createMongoResourceServerStore(ctx)),
    catalogGeneration: guard(createMongoCatalogGenerationStore(ctx)),
    signingKeys: guard(createMongoSigningKeyStore(ctx)),
    outbox: guard(createMongoOutboxStore(ctx)),
    leases: guard(createMongoLeaseStore(ctx)),
    accounts: guard(createMongoAccountStore(ctx)),
    loginThrottle: guard(createMongoLoginThrottleStore(ctx)),
    dataMigrations: guard(createMongoDataMigrationStore(ctx)),
    revokedJwts: guard(createMongoRevokedJwtStore(ctx)),
    accountFactors: guard(createMongoAccountFactorStore(ctx)),
    ping: health.ping,
    async close() {
      await connection.close();
    },
  };
}
