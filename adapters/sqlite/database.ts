import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

import { MIGRATIONS } from './migrations.ts';

/**
 * Creates the database file (and its missing directories) readable by its owner only, before
 * SQLite opens it: SQLite gives the `-wal` and `-shm` files it creates the main file's
 * permissions (the unix VFS's findCreateFileMode), so all three are 0600 and the directories
 * 0700, whatever the umask. An existing file keeps the permissions an operator gave it.
 */
function createOwnerOnly(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
}

/**
 * A node:sqlite connection with a statement cache and a transaction helper. node:sqlite is
 * synchronous, so a transaction here never interleaves with another one in this process; other
 * processes on the same file are serialised by SQLite's write lock (BEGIN IMMEDIATE + busy timeout).
 */
export class SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(path: string) {
    if (path !== ':memory:') createOwnerOnly(path);
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#migrate();
  }

  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` in a write transaction; rolls back if it throws. */
  transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  get isOpen(): boolean {
    return this.#db.isOpen;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #migrate(): void {
    const row = this.#db.prepare('PRAGMA user_version').get() as { user_version: number };
    for (let version = row.user_version; version < MIGRATIONS.length; version += 1) {
      this.transaction(() => {
        this.#db.exec(MIGRATIONS[version] as string);
        this.#db.exec(`PRAGMA user_version = ${version + 1}`);
      });
    }
  }
}
