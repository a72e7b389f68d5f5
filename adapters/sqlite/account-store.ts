import type { Page } from '../../src/ports/clients.ts';
import type {
  AccountQuery,
  AccountRecord,
  AccountStore,
  RekeyOutcome,
} from '../../src/ports/accounts.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';
import { appendOutboxEvents } from './outbox-store.ts';
import {
  isUniqueViolation,
  parseRecord,
  writeRecordWithEvents,
  type RecordRow,
} from './record-writes.ts';

const parse = (row: RecordRow | undefined) => parseRecord<AccountRecord>(row);

/** What `search` matches against: lower-cased username, email and name, one per line. */
const searchTextOf = (record: AccountRecord): string =>
  [record.username, record.email ?? '', record.name ?? ''].join('\n').toLowerCase();

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally. */
const containsPattern = (text: string): string =>
  `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

/**
 * Accounts keyed by id, with unique username_key and username_skeleton columns (migrations.ts;
 * NULL skeletons, of accounts stored before skeletons existed, do not collide).
 */
export function createSqliteAccountStore(db: SqliteDatabase, clock: () => number): AccountStore {
  const rows = (sql: string, ...values: (string | number)[]) =>
    (db.statement(sql).all(...values) as unknown as RecordRow[]).map(
      (row) => parse(row) as AccountRecord,
    );
  return {
    async insert(record: AccountRecord, options?: WriteOptions) {
      return writeRecordWithEvents(
        db,
        options,
        clock,
        () =>
          db
            .statement(
              `INSERT INTO accounts (id, username_key, username_skeleton, search_text, version, record)
               VALUES (?, ?, ?, ?, ?, ?)`,
            )
            .run(
              record.id,
              record.usernameKey,
              record.usernameSkeleton ?? null,
              searchTextOf(record),
              record.version,
              JSON.stringify(record),
            ).changes,
      );
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

    async getByUsernameSkeleton(usernameSkeleton: string) {
      return parse(
        db
          .statement('SELECT record FROM accounts WHERE username_skeleton = ?')
          .get(usernameSkeleton) as RecordRow | undefined,
      );
    },

    async list(query: AccountQuery) {
      return query.search
        ? rows(
            `SELECT record FROM accounts WHERE id > ? AND search_text LIKE ? ESCAPE '\\'
               ORDER BY id LIMIT ?`,
            query.after ?? '',
            containsPattern(query.search),
            query.limit,
          )
        : rows(
            'SELECT record FROM accounts WHERE id > ? ORDER BY id LIMIT ?',
            query.after ?? '',
            query.limit,
          );
    },

    async listWithoutSkeleton(page: Page) {
      return rows(
        `SELECT record FROM accounts WHERE username_skeleton IS NULL AND id > ?
           ORDER BY id LIMIT ?`,
        page.after ?? '',
        page.limit,
      );
    },

    async update(record: AccountRecord, options?: WriteOptions) {
      return writeRecordWithEvents(
        db,
        options,
        clock,
        () =>
          db
            .statement(
              `UPDATE accounts SET search_text = ?, version = ?, record = ?
               WHERE id = ? AND version = ? AND username_key = ? AND username_skeleton IS ?`,
            )
            .run(
              searchTextOf(record),
              record.version,
              JSON.stringify(record),
              record.id,
              record.version - 1,
              record.usernameKey,
              record.usernameSkeleton ?? null,
            ).changes,
      );
    },

    async changeSignInState(id, change, options?: WriteOptions) {
      // One write transaction (BEGIN IMMEDIATE, database.ts) from the read to the write: other
      // processes on this file wait for SQLite's write lock, and node:sqlite being synchronous,
      // nothing else in this process runs in between either.
      return db.transaction(() => {
        const current = parse(
          db.statement('SELECT record FROM accounts WHERE id = ?').get(id) as RecordRow | undefined,
        );
        if (!current) return undefined;
        const { next, result } = change(current);
        if (!next) return result;
        const record: AccountRecord = {
          ...current,
          failedLogins: next.failedLogins,
          lockedUntil: next.lockedUntil,
          version: current.version + 1,
        };
        db.statement('UPDATE accounts SET version = ?, record = ? WHERE id = ?').run(
          record.version,
          JSON.stringify(record),
          id,
        );
        appendOutboxEvents(db, options, clock());
        return result;
      });
    },

    async rekeyUsername(record: AccountRecord): Promise<RekeyOutcome> {
      try {
        const { changes } = db
          .statement(
            `UPDATE accounts SET username_key = ?, username_skeleton = ?, search_text = ?,
               version = ?, record = ?
             WHERE id = ? AND version = ?`,
          )
          .run(
            record.usernameKey,
            record.usernameSkeleton ?? null,
            searchTextOf(record),
            record.version,
            JSON.stringify(record),
            record.id,
            record.version - 1,
          );
        return Number(changes) === 1 ? 'saved' : 'changed';
      } catch (error) {
        if (isUniqueViolation(error)) return 'taken';
        throw error;
      }
    },
  };
}
