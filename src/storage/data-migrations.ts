import type { Logger } from 'pino';

import type { Storage } from '../ports/storage.ts';

/**
 * A one-time rewrite of stored data that needs application code or server secrets, which the
 * stores' own schema steps (adapters/sqlite/migrations.ts, adapters/mongodb/migrations.ts) cannot
 * do. `run` must be idempotent: two replicas starting together may both run it, and a run cut
 * short is repeated, since completion is recorded only after it returns.
 */
export interface DataMigration {
  readonly name: string;
  /** Returns how many records it changed, for the log. */
  run(storage: Storage): Promise<number>;
}

export interface DataMigrationReport {
  readonly name: string;
  readonly changed: number;
}

/**
 * Runs, in order, the steps this store has not recorded as complete, and records each. At
 * startup and by `tessera migrate`; a store where all have run costs one read.
 */
export async function runDataMigrations(
  storage: Storage,
  migrations: readonly DataMigration[],
  deps: { readonly clock: () => number; readonly logger: Logger },
): Promise<DataMigrationReport[]> {
  const completed = await storage.dataMigrations.completed();
  const reports: DataMigrationReport[] = [];
  for (const migration of migrations) {
    if (completed.has(migration.name)) continue;
    const changed = await migration.run(storage);
    await storage.dataMigrations.markCompleted(migration.name, deps.clock());
    deps.logger.info({ migration: migration.name, changed }, 'data migration complete');
    reports.push({ name: migration.name, changed });
  }
  return reports;
}
