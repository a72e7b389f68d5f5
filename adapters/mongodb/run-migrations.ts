import type { Db } from 'mongodb';

import { OIDC_MODEL_COLLECTIONS, schemaMigrationsOf } from './collections.ts';
import { expiresByTtl } from './indexes.ts';
import { MONGODB_MIGRATIONS, type MongoMigration } from './migrations.ts';
import { detectServerCapabilities, type ServerCapabilities } from './server-profile.ts';
import { isDuplicateKeyError } from './store-errors.ts';

export interface MongoMigrationReport {
  /** The steps this run applied for the first time, in order (`<version> <name>`). */
  readonly applied: readonly string[];
  /** `collection.index` names this run created. */
  readonly created: readonly string[];
  /** `collection.index` names the steps applied now found already there (an older Tessera's). */
  readonly existing: readonly string[];
  /**
   * True when expired records are not deleted by TTL indexes — the server has none, refused
   * them, or they were not asked for (`ttl: false`): plain `expiresAt` indexes serve the periodic
   * prune instead, and reads filter expired records as always.
   */
  readonly ttlUnsupported: boolean;
  /**
   * Documents of an older Tessera given the lookup fields it did not write: `accountId` (Grants
   * and Sessions) and `clientId` (client-bound models).
   */
  readonly backfilled: number;
}

export interface MigrateOptions {
  /**
   * Create TTL indexes where the server has them (default true). Tests that drive a fake clock
   * turn them off: a real server's TTL monitor would delete their records by the wall clock.
   */
  readonly ttl?: boolean;
  readonly clock?: () => number;
  /** What the connection already detected (open-mongodb-storage.ts); detected here otherwise. */
  readonly capabilities?: ServerCapabilities;
}

/**
 * Brings the database's schema up to date: applies, in order, the steps of MONGODB_MIGRATIONS
 * not recorded in `schema_migrations` yet, recording each once it has finished, and runs the
 * `everyRun` steps (backfills) again. At startup unless TESSERA_MONGODB_ENSURE_INDEXES=false, and
 * by `tessera migrate`.
 *
 * No lock: every step is idempotent, so two replicas starting together may both apply a step,
 * and the first record of it stands (a unique `_id`). A database that an older Tessera set up
 * without this collection gets every step applied once: they find its indexes already there.
 */
export async function migrateMongoDatabase(
  db: Db,
  options: MigrateOptions = {},
): Promise<MongoMigrationReport> {
  const clock = options.clock ?? Date.now;
  const capabilities = options.capabilities ?? (await detectServerCapabilities(db));
  const setup = { ttl: options.ttl !== false && capabilities.ttlIndexes };
  const recorded = await recordedVersions(db);
  const applied: string[] = [];
  const created: string[] = [];
  const existing: string[] = [];
  let backfilled = 0;
  for (const step of MONGODB_MIGRATIONS) {
    const pending = !recorded.has(step.version);
    if (!pending && !step.everyRun) continue;
    const outcome = await step.run(db, setup);
    created.push(...(outcome.created ?? []));
    existing.push(...(outcome.existing ?? []));
    backfilled += outcome.backfilled ?? 0;
    if (pending) {
      await record(db, step, clock());
      applied.push(`${step.version} ${step.name}`);
    }
  }
  return {
    applied,
    created,
    existing,
    // Read from the indexes, not from this run: the expiry step runs once, and a server that
    // refused TTL indexes then kept the plain ones it got instead.
    ttlUnsupported:
      !capabilities.ttlIndexes || !(await expiresByTtl(db, OIDC_MODEL_COLLECTIONS.AccessToken)),
    backfilled,
  };
}

async function recordedVersions(db: Db): Promise<Set<number>> {
  const documents = await schemaMigrationsOf(db)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  return new Set(documents.map((document) => document._id));
}

async function record(db: Db, step: MongoMigration, at: number): Promise<void> {
  try {
    await schemaMigrationsOf(db).insertOne({
      _id: step.version,
      name: step.name,
      appliedAt: new Date(at),
    });
  } catch (error) {
    // Another replica applied it at the same time and recorded it first: that record stands.
    if (!isDuplicateKeyError(error)) throw error;
  }
}
