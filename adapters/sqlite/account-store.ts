import type { Page } from '../../src/ports/clients.ts';
import type {
  AccountQuery,
  AccountRecord,
  AccountStore,
  RekeyOutcome,
  SignInStateOptions,
} from '../../src/ports/accounts.ts';
import { withSignInState } from '../../src/ports/accounts.ts';
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

    async changeSignInState(id, change, options?: SignInStateOptions) {
      // One write transaction (BEGIN IMMEDIATE, database.ts) from the read to the write: other
      // processes on this file wait for SQLite's write lock, and node:sqlite being synchronous,
      // nothing else in this process runs in between either.
      return db.transaction(() => {
        /** Stores `change`'s state over `current` if it is still the stored version. */
        const decideOn = (current: AccountRecord) => {
          const { next, result } = change(current);
          if (!next) return { stored: false, result };
          const record = withSignInState(current, next);
          const { changes } = db
            .statement('UPDATE accounts SET version = ?, record = ? WHERE id = ? AND version = ?')
            .run(record.version, JSON.stringify(record), id, current.version);
          return { stored: Number(changes) === 1, result };
        };
        const recorded = <T>(result: T) => {
          appendOutboxEvents(db, options, clock());
          return result;
        };
        // A guess that is still the stored version saves the SELECT. A stale one matches no row,
        // and a refusal decided on it stores nothing: both are decided again on the record read.
        const guess = options?.guess?.id === id ? options.guess : undefined;
        const guessed = guess && decideOn(guess);
        if (guessed?.stored) return recorded(guessed.result);
        const current = parse(
          db.statement('SELECT record FROM accounts WHERE id = ?').get(id) as RecordRow | undefined,
        );
        if (!current) return undefined;
        // Read inside this transaction, `current` is the stored version: its write cannot miss.
        const decided = decideOn(current);
        return decided.stored ? recorded(decided.result) : decided.result;
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
