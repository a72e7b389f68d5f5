import type { Db, IndexDescription } from 'mongodb';

import { backfillAccountIds, backfillClientIds } from './account-id-backfill.ts';
import { backfillConfigKeys, CONFIG_KEYED_COLLECTIONS } from './config-key-backfill.ts';
import {
  createExpiryIndexes,
  createMissingIndexes,
  indexOn,
  type IndexOutcome,
} from './indexes.ts';

/** What a step is told: whether to create TTL indexes (the server has them, and they are wanted). */
export interface MigrationSetup {
  readonly ttl: boolean;
}

/** What a step did, for the report (run-migrations.ts). */
export interface StepOutcome extends Partial<IndexOutcome> {
  /** Documents given a field they lacked. */
  readonly backfilled?: number;
}

export interface MongoMigration {
  /** Its position in MONGODB_MIGRATIONS, from 1: what `schema_migrations` records. */
  readonly version: number;
  readonly name: string;
  /**
   * Run again on every later run too, not only the first time. For backfills of a lookup field:
   * during a rolling upgrade, replicas of the previous version keep writing documents without the
   * field after the first new replica applied the step, and a step run once would miss those.
   * Each later start (and `tessera migrate`, worth running once a rollout completes) fills them
   * in; in between, a lookup by that field (a disabled account's grants, a deleted client's
   * tokens) does not find them. Cheap when nothing is missing: the query walks only the field's
   * index entries for null or absent values (the field's own index, created by an earlier step).
   */
  readonly everyRun?: boolean;
  /** Idempotent: two replicas starting together may both run it, and a run cut short repeats it. */
  run(db: Db, setup: MigrationSetup): Promise<StepOutcome>;
}

/**
 * Step 1: the lookup and uniqueness indexes of every collection, as they were when MongoDB
 * migrations began (each serves one query of a `<port>-store.ts`). Client ids, resource-server ids
 * and kids are the `_id`, indexed by the server itself.
 */
const LOOKUP_INDEXES: Readonly<Record<string, readonly IndexDescription[]>> = {
  // What a grant or a client holds: oidc-provider revokes by grantId (lib/helpers/revoke.js);
  // OidcModelStore.*ByClientId finds and removes what a deleted client holds.
  oidc_access_tokens: [indexOn('grantId'), indexOn('clientId')],
  oidc_client_credentials: [indexOn('clientId')],
  oidc_refresh_tokens: [indexOn('grantId'), indexOn('clientId')],
  oidc_authorization_codes: [indexOn('grantId'), indexOn('clientId')],
  oidc_device_codes: [indexOn('grantId'), indexOn('clientId'), indexOn('userCode')],
  oidc_backchannel_authentication_requests: [indexOn('grantId'), indexOn('clientId')],
  oidc_pre_authorized_codes: [indexOn('grantId'), indexOn('clientId')],
  oidc_grants: [indexOn('clientId'), indexOn('accountId')],
  oidc_sessions: [indexOn('uid'), indexOn('accountId')],
  accounts: [
    { key: { usernameKey: 1 }, name: 'usernameKey_unique', unique: true },
    // Sparse: accounts stored before skeletons existed have none until the username re-key.
    { key: { usernameSkeleton: 1 }, name: 'usernameSkeleton_unique', unique: true, sparse: true },
  ],
  login_throttle: [indexOn('retainUntil')],
  resource_servers: [{ key: { audience: 1 }, name: 'audience_unique', unique: true }],
  outbox: [
    // Unique: a sequence handed out twice (where `$inc` is not atomic) is caught and retried.
    { key: { sequence: 1 }, name: 'sequence_unique', unique: true },
    { key: { type: 1, sequence: -1 }, name: 'type_sequence' },
    { key: { publishedAt: 1, sequence: 1 }, name: 'pending_in_order' },
  ],
};

/** Step 2: the collections whose documents carry `expiresAt`. */
const EXPIRING_COLLECTIONS: readonly string[] = [
  'oidc_sessions',
  'oidc_access_tokens',
  'oidc_authorization_codes',
  'oidc_refresh_tokens',
  'oidc_device_codes',
  'oidc_client_credentials',
  'oidc_initial_access_tokens',
  'oidc_registration_access_tokens',
  'oidc_interactions',
  'oidc_replay_detections',
  'oidc_pushed_authorization_requests',
  'oidc_grants',
  'oidc_backchannel_authentication_requests',
  'oidc_pre_authorized_codes',
  'oidc_consumptions',
  'revoked_jwts',
];

/**
 * The MongoDB store's schema steps, in order; `schema_migrations` records each one applied
 * (run-migrations.ts), as `PRAGMA user_version` does for SQLite (adapters/sqlite/migrations.ts).
 * Never edit a released step: append a new one (a new collection's or query's index included).
 */
export const MONGODB_MIGRATIONS: readonly MongoMigration[] = [
  {
    version: 1,
    name: 'lookup and uniqueness indexes',
    run: (db) => createMissingIndexes(db, LOOKUP_INDEXES),
  },
  {
    version: 2,
    name: 'expiry indexes',
    run: (db, setup) => createExpiryIndexes(db, EXPIRING_COLLECTIONS, setup),
  },
  // After the indexes: the backfills' queries then use the accountId and clientId indexes.
  {
    version: 3,
    name: 'accountId on grants and sessions',
    everyRun: true,
    run: async (db) => ({ backfilled: await backfillAccountIds(db) }),
  },
  {
    version: 4,
    name: 'clientId on client-bound models',
    everyRun: true,
    run: async (db) => ({ backfilled: await backfillClientIds(db) }),
  },
  {
    version: 5,
    name: 'account factors by account',
    run: (db) =>
      createMissingIndexes(db, {
        account_factors: [{ key: { accountId: 1, createdAt: 1, _id: 1 }, name: 'account_order' }],
      }),
  },
  // A config_key names at most one client and one resource server, so two `tessera apply` runs
  // racing cannot both create an entry. Sparse: records made by hand have no key.
  {
    version: 6,
    name: 'config keys unique',
    run: async (db) => {
      let backfilled = 0;
      for (const collection of CONFIG_KEYED_COLLECTIONS) {
        backfilled += await backfillConfigKeys(db, collection);
      }
      const unique = [
        { key: { configKey: 1 }, name: 'configKey_unique', unique: true, sparse: true },
      ];
      const indexes = await createMissingIndexes(
        db,
        Object.fromEntries(CONFIG_KEYED_COLLECTIONS.map((collection) => [collection, unique])),
      );
      return { ...indexes, backfilled };
    },
  },
];
