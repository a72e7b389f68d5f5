import type { CatalogGenerationStore } from '../../src/ports/catalog-generation.ts';
import type { SqliteDatabase } from './database.ts';

/**
 * Reads the counter that triggers on `clients` and `resource_servers` move (migrations.ts): a
 * write and its increment commit together, whichever process on this file makes it.
 */
export function createSqliteCatalogGenerationStore(db: SqliteDatabase): CatalogGenerationStore {
  return {
    async read() {
      const row = db.statement('SELECT value FROM catalog_generation WHERE id = 1').get() as
        { value: number } | undefined;
      return String(row?.value ?? 0);
    },
  };
}
