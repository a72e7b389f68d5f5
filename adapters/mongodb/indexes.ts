import { MongoServerError, type Db, type IndexDescription } from 'mongodb';

import { CLIENT_BOUND_MODELS, type OidcModelName } from '../../src/ports/oidc-models.ts';
import { backfillAccountIds, backfillClientIds } from './account-id-backfill.ts';
import { COLLECTIONS, OIDC_MODEL_COLLECTIONS } from './collections.ts';

/** Models whose instances belong to a grant: oidc-provider revokes them by grantId (lib/helpers/revoke.js). */
const GRANT_BOUND_MODELS: readonly OidcModelName[] = [
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
];

/** Lookup and uniqueness indexes, per collection. None uses an option FerretDB lacks. */
function lookupIndexes(): Map<string, IndexDescription[]> {
  const indexes = new Map<string, IndexDescription[]>();
  for (const model of GRANT_BOUND_MODELS) {
    indexes.set(OIDC_MODEL_COLLECTIONS[model], [{ key: { grantId: 1 }, name: 'grantId' }]);
  }
  // What a client holds, found (and removed when it is deleted) by OidcModelStore.*ByClientId.
  for (const model of CLIENT_BOUND_MODELS) {
    const collection = OIDC_MODEL_COLLECTIONS[model];
    indexes.set(collection, [
      ...(indexes.get(collection) ?? []),
      { key: { clientId: 1 }, name: 'clientId' },
    ]);
  }
  indexes.set(OIDC_MODEL_COLLECTIONS.Session, [
    { key: { uid: 1 }, name: 'uid' },
    { key: { accountId: 1 }, name: 'accountId' },
  ]);
  indexes.set(OIDC_MODEL_COLLECTIONS.Grant, [
    ...(indexes.get(OIDC_MODEL_COLLECTIONS.Grant) ?? []),
    { key: { accountId: 1 }, name: 'accountId' },
  ]);
  indexes.set(OIDC_MODEL_COLLECTIONS.DeviceCode, [
    ...(indexes.get(OIDC_MODEL_COLLECTIONS.DeviceCode) ?? []),
    { key: { userCode: 1 }, name: 'userCode' },
  ]);
  // Client ids, resource-server ids and kids are the `_id`, indexed by MongoDB itself.
  indexes.set(COLLECTIONS.accounts, [
    { key: { usernameKey: 1 }, name: 'usernameKey_unique', unique: true },
    // Sparse: accounts stored before skeletons existed have none until the username re-key.
    // (FerretDB 1.24 accepts the option and already ignores absent fields in unique indexes.)
    { key: { usernameSkeleton: 1 }, name: 'usernameSkeleton_unique', unique: true, sparse: true },
  ]);
  indexes.set(COLLECTIONS.loginThrottle, [{ key: { retainUntil: 1 }, name: 'retainUntil' }]);
  indexes.set(COLLECTIONS.resourceServers, [
    { key: { audience: 1 }, name: 'audience_unique', unique: true },
  ]);
  indexes.set(COLLECTIONS.outbox, [
    // Unique: a sequence handed out twice (FerretDB's non-atomic $inc) is caught and retried.
    { key: { sequence: 1 }, name: 'sequence_unique', unique: true },
    { key: { type: 1, sequence: -1 }, name: 'type_sequence' },
    { key: { publishedAt: 1, sequence: 1 }, name: 'pending_in_order' },
  ]);
  return indexes;
}

/** `expireAfterSeconds: 0`: each document expires at its own `expiresAt`. */
const EXPIRES_AT_TTL = {
  key: { expiresAt: 1 },
  name: 'expiresAt_ttl',
  expireAfterSeconds: 0,
} as const;
/** Where TTL indexes are unavailable (or not wanted): serves pruneExpired's range delete. */
const EXPIRES_AT: IndexDescription = { key: { expiresAt: 1 }, name: 'expiresAt' };

/** Collections whose documents carry `expiresAt`. */
const EXPIRING_COLLECTIONS: readonly string[] = [
  ...Object.values(OIDC_MODEL_COLLECTIONS),
  COLLECTIONS.consumptions,
  COLLECTIONS.revokedJwts,
];

export interface IndexReport {
  /** `collection.index` names this call created. */
  readonly created: readonly string[];
  /** `collection.index` names that were there already. */
  readonly existing: readonly string[];
  /**
   * True when the server refused TTL indexes (FerretDB): plain `expiresAt` indexes serve the
   * periodic prune instead, and reads filter expired records as always.
   */
  readonly ttlUnsupported: boolean;
  /**
   * Documents of an older Tessera given the lookup fields it did not write: `accountId` (Grants
   * and Sessions) and `clientId` (client-bound models).
   */
  readonly backfilled: number;
}

export interface EnsureIndexOptions {
  /**
   * Create TTL indexes (default true). Tests that drive a fake clock turn them off: a real
   * server's TTL monitor would delete their records by the wall clock.
   */
  readonly ttl?: boolean;
}

const NOT_IMPLEMENTED = 238; // FerretDB: `Index option "expireAfterSeconds" is not implemented yet`
const COMMAND_NOT_SUPPORTED = 115;
const NAMESPACE_NOT_FOUND = 26;

const isTtlUnsupported = (error: unknown) =>
  error instanceof MongoServerError &&
  (error.code === NOT_IMPLEMENTED || error.code === COMMAND_NOT_SUPPORTED);

async function indexNames(db: Db, collection: string): Promise<Set<string>> {
  try {
    const indexes = (await db.collection(collection).listIndexes().toArray()) as {
      name: string;
    }[];
    return new Set(indexes.map((index) => index.name));
  } catch (error) {
    if (error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND) return new Set();
    throw error;
  }
}

/**
 * Creates every index the MongoDB adapter relies on that does not exist yet, and fills in the
 * lookup fields documents of an older Tessera lack (account-id-backfill.ts), so startup may run
 * it every time (TESSERA_MONGODB_ENSURE_INDEXES) and `tessera migrate` on demand. Indexes are
 * created one per call: FerretDB refuses a TTL option with code 238 and fails every index of a
 * batch along with it (DESIGN.md section 2), and FerretDB 1.24 panics on a batch whose indexes
 * all exist already. Reads never rely on TTL deletion (expired records are filtered on every
 * read), so a server without TTL indexes is correct, only fuller until the prune runs.
 */
export async function ensureMongoIndexes(
  db: Db,
  options: EnsureIndexOptions = {},
): Promise<IndexReport> {
  const created: string[] = [];
  const existing: string[] = [];
  let ttlUnsupported = false;
  const wanted = lookupIndexes();
  for (const collection of EXPIRING_COLLECTIONS) {
    wanted.set(collection, [...(wanted.get(collection) ?? []), EXPIRES_AT]);
  }

  // Collections in parallel (a fresh database needs ~40 indexes), each one's indexes in turn.
  await Promise.all(
    [...wanted].map(async ([collection, indexes]) => {
      const present = await indexNames(db, collection);
      for (const index of indexes) {
        const name = String(index.name);
        // Either form of the expiresAt index will do once it exists.
        if (present.has(name) || (index === EXPIRES_AT && present.has(EXPIRES_AT_TTL.name))) {
          existing.push(`${collection}.${present.has(name) ? name : EXPIRES_AT_TTL.name}`);
          continue;
        }
        if (index === EXPIRES_AT && options.ttl !== false && !ttlUnsupported) {
          try {
            const { key, ...ttlOptions } = EXPIRES_AT_TTL;
            await db.collection(collection).createIndex(key, ttlOptions);
            created.push(`${collection}.${EXPIRES_AT_TTL.name}`);
            continue;
          } catch (error) {
            if (!isTtlUnsupported(error)) throw error;
            ttlUnsupported = true;
          }
        }
        const { key, ...indexOptions } = index;
        await db.collection(collection).createIndex(key, indexOptions);
        created.push(`${collection}.${name}`);
      }
    }),
  );
  // After the indexes exist: the backfills' queries then use the accountId and clientId indexes.
  const backfilled = (await backfillAccountIds(db)) + (await backfillClientIds(db));
  return { created, existing, ttlUnsupported, backfilled };
}
