/**
 * Which one-time data migrations have run on this store: rewrites of stored data that need more
 * than the schema steps can do (server secrets, application code), such as re-keying records
 * (src/storage/data-migrations.ts). Completion is recorded once the step has finished; a step
 * cut short is run again, so every step must be idempotent.
 */
export interface DataMigrationStore {
  /** Names of the steps recorded as complete. */
  completed(): Promise<ReadonlySet<string>>;
  /** Records `name` as complete (again: keeps the first record). */
  markCompleted(name: string, at: number): Promise<void>;
}
