import { MongoServerError, type Db, type IndexDescription } from 'mongodb';

/** What an index step did: `collection.index` names it created and found already there. */
export interface IndexOutcome {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

/** A single-field ascending index named after its field. */
export const indexOn = (field: string): IndexDescription => ({ key: { [field]: 1 }, name: field });

/** `expireAfterSeconds: 0`: each document expires at its own `expiresAt`. */
const EXPIRES_AT_TTL = {
  key: { expiresAt: 1 },
  name: 'expiresAt_ttl',
  expireAfterSeconds: 0,
} as const;
/** Where TTL indexes are unavailable (or not wanted): serves pruneExpired's range delete. */
const EXPIRES_AT = indexOn('expiresAt');

const NOT_IMPLEMENTED = 238;
const COMMAND_NOT_SUPPORTED = 115;
const NAMESPACE_NOT_FOUND = 26;

/** A server without TTL indexes that was asked for one anyway (server-profile.ts detects most). */
const isTtlRefusal = (error: unknown) =>
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
 * Creates the indexes of `wanted` that do not exist yet. Indexes are listed first and created
 * one per call: a batch fails as a whole when one of its indexes is refused, and some servers
 * fail a batch whose indexes all exist already (docs/mongodb-storage.md "Expiry"). Creating an
 * index that a concurrent caller has just created is a no-op, so two replicas may run this at
 * once. Collections in parallel (a fresh database needs ~40 indexes), each one's in turn.
 */
export async function createMissingIndexes(
  db: Db,
  wanted: Readonly<Record<string, readonly IndexDescription[]>>,
): Promise<IndexOutcome> {
  const created: string[] = [];
  const existing: string[] = [];
  await Promise.all(
    Object.entries(wanted).map(async ([collection, indexes]) => {
      const present = await indexNames(db, collection);
      for (const { key, ...indexOptions } of indexes) {
        const name = String(indexOptions.name);
        if (present.has(name)) {
          existing.push(`${collection}.${name}`);
          continue;
        }
        await db.collection(collection).createIndex(key, indexOptions);
        created.push(`${collection}.${name}`);
      }
    }),
  );
  return { created, existing };
}

/**
 * Gives each of `collections` an index on `expiresAt`: a TTL index when `ttl` (the server has
 * them, and the caller wants them), so the server deletes expired documents itself; otherwise a
 * plain one, which serves the once-a-minute pruneExpired. Either form will do once it exists.
 * Reads never rely on TTL deletion (every read treats an expired record as absent), so a store
 * without TTL indexes is as correct, only fuller until the prune runs.
 */
export async function createExpiryIndexes(
  db: Db,
  collections: readonly string[],
  options: { readonly ttl: boolean },
): Promise<IndexOutcome> {
  const created: string[] = [];
  const existing: string[] = [];
  let ttlRefused = false;
  await Promise.all(
    collections.map(async (collection) => {
      const present = await indexNames(db, collection);
      const found = [EXPIRES_AT.name, EXPIRES_AT_TTL.name].find((name) =>
        present.has(String(name)),
      );
      if (found !== undefined) {
        existing.push(`${collection}.${found}`);
        return;
      }
      if (options.ttl && !ttlRefused) {
        try {
          const { key, ...ttlOptions } = EXPIRES_AT_TTL;
          await db.collection(collection).createIndex(key, ttlOptions);
          created.push(`${collection}.${EXPIRES_AT_TTL.name}`);
          return;
        } catch (error) {
          if (!isTtlRefusal(error)) throw error;
          ttlRefused = true;
        }
      }
      const { key, ...plainOptions } = EXPIRES_AT;
      await db.collection(collection).createIndex(key, plainOptions);
      created.push(`${collection}.${String(EXPIRES_AT.name)}`);
    }),
  );
  return { created, existing };
}

/**
 * Whether `collection` expires its documents by a TTL index, as read from its indexes: what the
 * expiry step made on this run or on any earlier one, by this Tessera or an older one (a server
 * that refused TTL indexes then got plain ones, and keeps them).
 */
export async function expiresByTtl(db: Db, collection: string): Promise<boolean> {
  return (await indexNames(db, collection)).has(EXPIRES_AT_TTL.name);
}
