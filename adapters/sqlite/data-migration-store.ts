import type { DataMigrationStore } from '../../src/ports/data-migrations.ts';
import type { SqliteDatabase } from './database.ts';

export function createSqliteDataMigrationStore(db: SqliteDatabase): DataMigrationStore {
  return {
    async completed() {
      const rows = db.statement('SELECT name FROM data_migrations').all() as unknown as {
        name: string;
      }[];
      return new Set(rows.map((row) => row.name));
    },
    async markCompleted(name, at) {
      db.statement(
        'INSERT INTO data_migrations (name, completed_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
      ).run(name, at);
    },
  };
}
