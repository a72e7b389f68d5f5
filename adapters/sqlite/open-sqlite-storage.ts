import type { Storage } from '../../src/ports/storage.ts';
import { createSqliteAccountFactorStore } from './account-factor-store.ts';
import { createSqliteAccountStore } from './account-store.ts';
import { createSqliteCatalogGenerationStore } from './catalog-generation-store.ts';
import { createSqliteDataMigrationStore } from './data-migration-store.ts';
import { SqliteDatabase } from './database.ts';
import { createSqliteLeaseStore } from './lease-store.ts';
import { createSqliteLoginThrottleStore } from './login-throttle-store.ts';
import { createSqliteOidcModelStore } from './oidc-model-store.ts';
import { createSqliteOutboxStore } from './outbox-store.ts';
import { createSqliteClientStore, createSqliteResourceServerStore } from './record-stores.ts';
import { createSqliteRevokedJwtStore } from './revoked-jwt-store.ts';
import { createSqliteSigningKeyStore } from './signing-key-store.ts';

export interface SqliteStorageOptions {
  /** Database file; `:memory:` for a private in-memory store. */
  readonly path: string;
  readonly clock?: () => number;
}

/** The embedded default store: one SQLite file through node:sqlite, no server, no native addon. */
export function openSqliteStorage(options: SqliteStorageOptions): Storage {
  const clock = options.clock ?? Date.now;
  const db = new SqliteDatabase(options.path);
  return {
    kind: 'sqlite',
    oidcModels: createSqliteOidcModelStore(db, clock),
    clients: createSqliteClientStore(db, clock),
    resourceServers: createSqliteResourceServerStore(db, clock),
    catalogGeneration: createSqliteCatalogGenerationStore(db),
    signingKeys: createSqliteSigningKeyStore(db, clock),
    outbox: createSqliteOutboxStore(db, clock),
    leases: createSqliteLeaseStore(db, clock),
    accounts: createSqliteAccountStore(db, clock),
    loginThrottle: createSqliteLoginThrottleStore(db),
    dataMigrations: createSqliteDataMigrationStore(db),
    revokedJwts: createSqliteRevokedJwtStore(db, clock),
    accountFactors: createSqliteAccountFactorStore(db, clock),
    async ping() {
      if (!db.isOpen) throw new Error('SQLite database is closed');
      db.statement('SELECT 1').get();
    },
    async close() {
      db.close();
    },
  };
}
