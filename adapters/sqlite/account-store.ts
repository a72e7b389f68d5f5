import type { AccountQuery, AccountRecord, AccountStore } from '../../src/ports/accounts.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';
import { appendOutboxEvents } from './outbox-store.ts';

interface RecordRow {
  record: string;
}

const parse = (row: RecordRow | undefined): AccountRecord | undefined =>
  row ? (JSON.parse(row.record) as AccountRecord) : undefined;

/** What `search` matches against: lower-cased username, email and name, one per line. */
const searchTextOf = (record: AccountRecord): string =>
  [record.username, record.email ?? '', record.name ?? ''].join('\n').toLowerCase();

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally. */
const containsPattern = (text: string): string =>
  `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { errcode?: number }).errcode;
  return code === 2067 /* SQLITE_CONSTRAINT_UNIQUE */ || code === 1555; /* _PRIMARYKEY */
}

export function createSqliteAccountStore(db: SqliteDatabase, clock: () => number): AccountStore {
  return {
    async insert(record: AccountRecord, options?: WriteOptions) {
      try {
        db.transaction(() => {
          db.statement(
            'INSERT INTO accounts (id, username_key, search_text, version, record) VALUES (?, ?, ?, ?, ?)',
          ).run(
            record.id,
            record.usernameKey,
            searchTextOf(record),
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

    async get(id: string) {
      return parse(
        db.statement('SELECT record FROM accounts WHERE id = ?').get(id) as RecordRow | undefined,
      );
    },

    async getByUsernameKey(usernameKey: string) {
      return parse(
        db.statement('SELECT record FROM accounts WHERE username_key = ?').get(usernameKey) as
          RecordRow | undefined,
      );
    },

    async list(query: AccountQuery) {
      const rows = (query.search
        ? db
            .statement(
              `SELECT record FROM accounts WHERE id > ? AND search_text LIKE ? ESCAPE '\\'
                 ORDER BY id LIMIT ?`,
            )
            .all(query.after ?? '', containsPattern(query.search), query.limit)
        : db
            .statement('SELECT record FROM accounts WHERE id > ? ORDER BY id LIMIT ?')
            .all(query.after ?? '', query.limit)) as unknown as RecordRow[];
      return rows.map((row) => parse(row) as AccountRecord);
    },

    async update(record: AccountRecord, options?: WriteOptions) {
      return db.transaction(() => {
        const { changes } = db
          .statement(
            `UPDATE accounts SET search_text = ?, version = ?, record = ?
             WHERE id = ? AND version = ? AND username_key = ?`,
          )
          .run(
            searchTextOf(record),
            record.version,
            JSON.stringify(record),
            record.id,
            record.version - 1,
            record.usernameKey,
          );
        if (changes !== 1) return false;
        appendOutboxEvents(db, options, clock());
        return true;
      });
    },
  };
}
