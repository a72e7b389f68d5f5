import type { ClientRecord, ClientStore, Page } from '../../src/ports/clients.ts';
import type {
  ResourceServerRecord,
  ResourceServerStore,
} from '../../src/ports/resource-servers.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';
import { appendOutboxEvents } from './outbox-store.ts';

interface RecordRow {
  record: string;
}

const parse = <T>(row: RecordRow | undefined): T | undefined =>
  row ? (JSON.parse(row.record) as T) : undefined;

function isUniqueViolation(error: unknown): boolean {
  return (
    (error as { errcode?: number }).errcode === 2067 /* SQLITE_CONSTRAINT_UNIQUE */ ||
    (error as { errcode?: number }).errcode === 1555
  ); /* SQLITE_CONSTRAINT_PRIMARYKEY */
}

export function createSqliteClientStore(db: SqliteDatabase, clock: () => number): ClientStore {
  return {
    async insert(record: ClientRecord, options?: WriteOptions) {
      try {
        db.transaction(() => {
          db.statement('INSERT INTO clients (client_id, version, record) VALUES (?, ?, ?)').run(
            record.clientId,
            record.version,
            JSON.stringify(record),
          );
          appendOutboxEvents(db, options, clock());
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async get(clientId: string) {
      return parse<ClientRecord>(
        db.statement('SELECT record FROM clients WHERE client_id = ?').get(clientId) as
          RecordRow | undefined,
      );
    },

    async list(page: Page) {
      const rows = db
        .statement('SELECT record FROM clients WHERE client_id > ? ORDER BY client_id LIMIT ?')
        .all(page.after ?? '', page.limit) as unknown as RecordRow[];
      return rows.map((row) => parse<ClientRecord>(row) as ClientRecord);
    },

    async update(record: ClientRecord, options?: WriteOptions) {
      return db.transaction(() => {
        const { changes } = db
          .statement(
            'UPDATE clients SET version = ?, record = ? WHERE client_id = ? AND version = ?',
          )
          .run(record.version, JSON.stringify(record), record.clientId, record.version - 1);
        if (changes !== 1) return false;
        appendOutboxEvents(db, options, clock());
        return true;
      });
    },

    async delete(clientId: string, options?: WriteOptions) {
      return db.transaction(() => {
        const { changes } = db.statement('DELETE FROM clients WHERE client_id = ?').run(clientId);
        if (changes !== 1) return false;
        appendOutboxEvents(db, options, clock());
        return true;
      });
    },
  };
}

export function createSqliteResourceServerStore(
  db: SqliteDatabase,
  clock: () => number,
): ResourceServerStore {
  return {
    async insert(record: ResourceServerRecord, options?: WriteOptions) {
      try {
        db.transaction(() => {
          db.statement(
            'INSERT INTO resource_servers (id, audience, version, record) VALUES (?, ?, ?, ?)',
          ).run(record.id, record.audience, record.version, JSON.stringify(record));
          appendOutboxEvents(db, options, clock());
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async get(id: string) {
      return parse<ResourceServerRecord>(
        db.statement('SELECT record FROM resource_servers WHERE id = ?').get(id) as
          RecordRow | undefined,
      );
    },

    async getByAudience(audience: string) {
      return parse<ResourceServerRecord>(
        db.statement('SELECT record FROM resource_servers WHERE audience = ?').get(audience) as
          RecordRow | undefined,
      );
    },

    async list(page: Page) {
      const rows = db
        .statement('SELECT record FROM resource_servers WHERE id > ? ORDER BY id LIMIT ?')
        .all(page.after ?? '', page.limit) as unknown as RecordRow[];
      return rows.map((row) => parse<ResourceServerRecord>(row) as ResourceServerRecord);
    },

    async update(record: ResourceServerRecord, options?: WriteOptions) {
      try {
        return db.transaction(() => {
          const { changes } = db
            .statement(
              'UPDATE resource_servers SET audience = ?, version = ?, record = ? WHERE id = ? AND version = ?',
            )
            .run(
              record.audience,
              record.version,
              JSON.stringify(record),
              record.id,
              record.version - 1,
            );
          if (changes !== 1) return false;
          appendOutboxEvents(db, options, clock());
          return true;
        });
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async delete(id: string, options?: WriteOptions) {
      return db.transaction(() => {
        const { changes } = db.statement('DELETE FROM resource_servers WHERE id = ?').run(id);
        if (changes !== 1) return false;
        appendOutboxEvents(db, options, clock());
        return true;
      });
    },
  };
}
