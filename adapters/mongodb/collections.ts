import type { Collection, Db, MongoClient } from 'mongodb';

import type { OidcModelName } from '../../src/ports/oidc-models.ts';
import type { ServerProfile } from './server-profile.ts';

/**
 * Where each port keeps its documents. Payloads and records are stored as JSON text, with the
 * fields that queries, indexes and conditional updates need copied to the top level:
 * oidc-provider payloads carry keys with dots (a Grant's `resources` is keyed by resource URLs),
 * which MongoDB only half-supports and some servers refuse (docs/mongodb-storage.md "Documents"),
 * and JSON text also keeps `undefined` versus absent and number types exactly as the ports hand
 * them over.
 */
export const COLLECTIONS = {
  clients: 'clients',
  resourceServers: 'resource_servers',
  signingKeys: 'signing_keys',
  outbox: 'outbox',
  /** Named counters (`outbox` = last outbox sequence handed out). */
  counters: 'counters',
  /**
   * One document, `{_id: 'catalog'}` (catalog-generation-store.ts), read by every replica every
   * second. A collection of its own, so that the read stays cheap even on a server that scans a
   * collection to find one `_id` (docs/mongodb-storage.md "Catalog generation").
   */
  catalogGeneration: 'catalog_generation',
  /** One marker per consumed code or token where updates are not atomic (document-locks.ts). */
  consumptions: 'oidc_consumptions',
  /** Short write locks where updates are not atomic (document-locks.ts). */
  documentLocks: 'document_locks',
  /** Named leases (lease-store.ts). */
  leases: 'leases',
  accounts: 'accounts',
  /** Failed sign-in counters per hashed IP and unknown username (login-throttle-store.ts). */
  loginThrottle: 'login_throttle',
  /** One document per completed one-time data migration (data-migration-store.ts). */
  dataMigrations: 'data_migrations',
  /** One document per applied schema step (migrations.ts, run-migrations.ts). */
  schemaMigrations: 'schema_migrations',
  /** The `jti`s of JWT access tokens revoked on their own (revoked-jwt-store.ts). */
  revokedJwts: 'revoked_jwts',
  /** Second factors and passkeys of accounts (account-factor-store.ts). */
  accountFactors: 'account_factors',
} as const;

/** One collection per oidc-provider model, so each lookup index serves exactly one model. */
export const OIDC_MODEL_COLLECTIONS: Readonly<Record<OidcModelName, string>> = {
  Session: 'oidc_sessions',
  AccessToken: 'oidc_access_tokens',
  AuthorizationCode: 'oidc_authorization_codes',
  RefreshToken: 'oidc_refresh_tokens',
  DeviceCode: 'oidc_device_codes',
  ClientCredentials: 'oidc_client_credentials',
  InitialAccessToken: 'oidc_initial_access_tokens',
  RegistrationAccessToken: 'oidc_registration_access_tokens',
  Interaction: 'oidc_interactions',
  ReplayDetection: 'oidc_replay_detections',
  PushedAuthorizationRequest: 'oidc_pushed_authorization_requests',
  Grant: 'oidc_grants',
  BackchannelAuthenticationRequest: 'oidc_backchannel_authentication_requests',
  PreAuthorizedCode: 'oidc_pre_authorized_codes',
};

export interface OidcModelDocument {
  _id: string;
  /** JSON text of the payload oidc-provider gave to upsert. */
  payload: string;
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  /**
   * Grants and Sessions only (ACCOUNT_BOUND_MODELS): the payload's `accountId`, or null.
   * Absent on other models, and on documents an older Tessera wrote until a migration fills it
   * (migrations.ts).
   */
  accountId?: string | null;
  /**
   * Client-bound models only (CLIENT_BOUND_MODELS): the payload's `clientId`, or null. Absent on
   * other models, and on documents an older Tessera wrote until a migration fills it
   * (migrations.ts).
   */
  clientId?: string | null;
  /** null = never expires. A Date, so that a TTL index can delete it where the server has them. */
  expiresAt: Date | null;
  /** Absent or null until consumed. */
  consumedAt?: Date | null;
}

export interface DataMigrationDocument {
  /** The step's name. */
  _id: string;
  completedAt: Date;
}

export interface SchemaMigrationDocument {
  /** The step's version (its position in MONGODB_MIGRATIONS, from 1). */
  _id: number;
  name: string;
  appliedAt: Date;
}

export interface ConsumptionDocument {
  /** `<model>:<id>`. */
  _id: string;
  expiresAt: Date | null;
}

export interface DocumentLockDocument {
  /** `<collection>:<document id>`. */
  _id: string;
  /** Random per acquisition; only its holder releases it. */
  owner: string;
  /** After this the lock is abandoned (its holder crashed or stalled) and may be taken over. */
  expiresAt: Date;
}

export interface ClientDocument {
  _id: string;
  version: number;
  /** The record's configKey, where it has one: a sparse unique index (migrations.ts). */
  configKey?: string;
  /** JSON text of the ClientRecord. */
  record: string;
}

export interface ResourceServerDocument {
  _id: string;
  /** Unique index: one resource server per RFC 8707 resource indicator. */
  audience: string;
  version: number;
  /** As ClientDocument.configKey. */
  configKey?: string;
  record: string;
}

export interface SigningKeyDocument {
  _id: string;
  state: string;
  record: string;
}

export interface OutboxDocument {
  /** The CloudEvents id: appending an event twice keeps one copy. */
  _id: string;
  sequence: number;
  type: string;
  key: string;
  /** JSON text of the OutboxEvent (its `data` is free-form). */
  event: string;
  createdAt: Date;
  publishedAt: Date | null;
}

export interface LeaseDocument {
  /** The lease name. */
  _id: string;
  holder: string;
  /** By the storage's clock; the lease is free from this instant on. */
  expiresAt: Date;
}

export interface AccountDocument {
  _id: string;
  /** Unique index: one account per username key (usernameKeyOf). */
  usernameKey: string;
  /**
   * Unique sparse index: one account per username skeleton. Absent, never null, on accounts
   * without one (AccountRecord.usernameSkeleton), so that any number of them fit the index.
   */
  usernameSkeleton?: string;
  /** Lower-cased username, email and name, one per line: what `search` matches. */
  searchText: string;
  version: number;
  /** JSON text of the AccountRecord. */
  record: string;
}

export interface LoginThrottleDocument {
  /** The hashed key (`ip:…`, `user:…`). */
  _id: string;
  count: number;
  /** Epoch ms, as the port hands them over. */
  firstAt: number;
  lastAt: number;
  /** A Date, so that a TTL index could delete it where the server has them. */
  retainUntil: Date;
}

export interface RevokedJwtDocument {
  /** The token's `jti`. */
  _id: string;
  /** The token's `exp`; a Date, so that a TTL index can delete it where the server has them. */
  expiresAt: Date;
}

export interface AccountFactorDocument {
  /** The factor's id: unique across accounts (a passkey's credential id). */
  _id: string;
  accountId: string;
  /** What recordUse compares and sets (AccountFactor.counter). */
  counter: number;
  createdAt: number;
  /** JSON text of the AccountFactor. */
  record: string;
}

export interface CounterDocument {
  _id: string;
  value: number;
}

export interface CatalogGenerationDocument {
  /** Always `catalog`. */
  _id: string;
  /** Random per write: no two writes leave the same value (see catalog-generation-store.ts). */
  stamp: string;
  /** When the catalog last changed, by the writer's clock (for operators; never compared). */
  changedAt: Date;
}

/**
 * The client (for sessions), the database and the clock. `client` and `db` may change between
 * calls (mongo-connection.ts): read them per operation, never keep them.
 */
export interface MongoHandle {
  readonly client: MongoClient;
  readonly db: Db;
  readonly clock: () => number;
}

/**
 * What every MongoDB store shares: the handle, and the profile of the server (server-profile.ts),
 * through which the few writes that differ between servers go.
 */
export interface MongoStoreContext extends MongoHandle {
  readonly profile: ServerProfile;
}

export const clientsOf = (db: Db): Collection<ClientDocument> =>
  db.collection<ClientDocument>(COLLECTIONS.clients);
export const resourceServersOf = (db: Db): Collection<ResourceServerDocument> =>
  db.collection<ResourceServerDocument>(COLLECTIONS.resourceServers);
export const signingKeysOf = (db: Db): Collection<SigningKeyDocument> =>
  db.collection<SigningKeyDocument>(COLLECTIONS.signingKeys);
export const outboxOf = (db: Db): Collection<OutboxDocument> =>
  db.collection<OutboxDocument>(COLLECTIONS.outbox);
export const countersOf = (db: Db): Collection<CounterDocument> =>
  db.collection<CounterDocument>(COLLECTIONS.counters);
export const catalogGenerationOf = (db: Db): Collection<CatalogGenerationDocument> =>
  db.collection<CatalogGenerationDocument>(COLLECTIONS.catalogGeneration);
export const consumptionsOf = (db: Db): Collection<ConsumptionDocument> =>
  db.collection<ConsumptionDocument>(COLLECTIONS.consumptions);
export const documentLocksOf = (db: Db): Collection<DocumentLockDocument> =>
  db.collection<DocumentLockDocument>(COLLECTIONS.documentLocks);
export const leasesOf = (db: Db): Collection<LeaseDocument> =>
  db.collection<LeaseDocument>(COLLECTIONS.leases);
export const accountsOf = (db: Db): Collection<AccountDocument> =>
  db.collection<AccountDocument>(COLLECTIONS.accounts);
export const loginThrottleOf = (db: Db): Collection<LoginThrottleDocument> =>
  db.collection<LoginThrottleDocument>(COLLECTIONS.loginThrottle);
export const dataMigrationsOf = (db: Db): Collection<DataMigrationDocument> =>
  db.collection<DataMigrationDocument>(COLLECTIONS.dataMigrations);
export const schemaMigrationsOf = (db: Db): Collection<SchemaMigrationDocument> =>
  db.collection<SchemaMigrationDocument>(COLLECTIONS.schemaMigrations);
export const revokedJwtsOf = (db: Db): Collection<RevokedJwtDocument> =>
  db.collection<RevokedJwtDocument>(COLLECTIONS.revokedJwts);
export const accountFactorsOf = (db: Db): Collection<AccountFactorDocument> =>
  db.collection<AccountFactorDocument>(COLLECTIONS.accountFactors);
export const oidcModelsOf = (db: Db, model: OidcModelName): Collection<OidcModelDocument> =>
  db.collection<OidcModelDocument>(OIDC_MODEL_COLLECTIONS[model]);
