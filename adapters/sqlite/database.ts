import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
// The module's own, not the global a test's fake timers replace: a grouped write must not wait
// for a test to advance its clock.
import { setImmediate } from 'node:timers';

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

/** Names one row of a table for groupWrite and rowStatement: its table and primary key. */
export const rowKey = (table: string, ...primaryKey: string[]): string =>
  [table, ...primaryKey].join('\0');

/**
 * WAL pages after which a commit copies the log back into the database file (SQLite's default
 * is 1000, https://sqlite.org/wal.html#automatic_checkpoint). A checkpoint writes each page
 * changed since the last one once, however often it changed, then fsyncs: token writes touch
 * the same index pages again and again, so a longer interval copies fewer pages per token.
 * Measured on refresh-token rotation's store calls (two finds, a consume, two upserts;
 * docs/benchmarks.md "Performance"): 277–297 µs of CPU per refresh at 1000 pages, 225–235 at
 * 4000. The log file grows to about 16 MB (4 KiB pages) before it is reused from its start.
 */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

interface GroupedWrite {
  /** The row the write changes (`rowKey`), so a read of another row need not wait for it. */
  readonly row: string;
  /** One statement: alone, it needs no transaction of its own to be all-or-nothing. */
  readonly write: () => unknown;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** One grouped write in its own (autocommit) statement. */
function settleAlone(entry: GroupedWrite): void {
  try {
    entry.resolve(entry.write());
  } catch (error) {
    entry.reject(error);
  }
}

/**
 * A node:sqlite connection with a statement cache and a transaction helper. node:sqlite is
 * synchronous, so a transaction here never interleaves with another one in this process; other
 * processes on the same file are serialised by SQLite's write lock (BEGIN IMMEDIATE + busy timeout).
 */
export class SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** Writes grouped into one transaction (groupWrite), run at the latest on the next turn. */
  #grouped: GroupedWrite[] = [];

  constructor(path: string) {
    if (path !== ':memory:') createOwnerOnly(path);
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#migrate();
  }

  statement(sql: string): StatementSync {
    this.#flushGrouped();
    return this.#prepared(sql);
  }

  /**
   * A statement that reads the one row `row` names (`rowKey`) and nothing else. It runs what is
   * grouped first only when a grouped write changes that row: a write to another row cannot
   * change what it reads, so the group keeps filling (under load, a turn's token lookups would
   * otherwise commit each upsert of that turn alone, one commit per token). Reads that find rows
   * by anything but their key use `statement`, which runs every grouped write first.
   */
  rowStatement(sql: string, row: string): StatementSync {
    if (this.#grouped.some((entry) => entry.row === row)) this.#flushGrouped();
    return this.#prepared(sql);
  }

  #prepared(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` in a write transaction; rolls back if it throws. */
  transaction<T>(work: () => T): T {
    this.#flushGrouped();
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

  /**
   * Runs `write` (one statement) with the other writes grouped in this turn of the event loop,
   * in one transaction, resolving with its result once that transaction committed (so a caller
   * sees its write durable exactly as with `statement(...).run`). Each commit of a single-row write costs a WAL frame
   * per page it touches plus lock calls (fcntl) and the WAL header: grouping shares the index
   * pages, the locks and the header among the writes of one turn (docs/benchmarks.md
   * "Performance"). `row` names the row the write changes (`rowKey`). Order is kept: any other
   * statement or transaction on this connection first runs what is grouped, and a read of one
   * row (`rowStatement`) does when the group changes that row, so nothing overtakes a write
   * called before it. When the group's transaction fails, each write is retried alone and
   * settles with its own outcome.
   */
  groupWrite<T>(row: string, write: () => T): Promise<T> {
    // Inside an open transaction the write would resolve, then roll back with it.
    if (this.#db.isTransaction) {
      return Promise.reject(new Error('groupWrite is not for use inside a transaction'));
    }
    return new Promise<T>((resolve, reject) => {
      if (this.#grouped.length === 0) setImmediate(() => this.#flushGrouped());
      this.#grouped.push({ row, write, resolve: resolve as (result: unknown) => void, reject });
    });
  }

  /**
   * Runs what is grouped. The queue is swapped out first, so the statements the writes prepare
   * (which flush too) find it empty.
   */
  #flushGrouped(): void {
    if (this.#grouped.length === 0) return;
    const group = this.#grouped;
    this.#grouped = [];
    if (group.length === 1) return settleAlone(group[0]!);
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      // Locked past the busy timeout: each write alone would wait that long again, so all fail.
      for (const entry of group) entry.reject(error);
      return;
    }
    let results: unknown[];
    try {
      results = group.map((entry) => entry.write());
      this.#db.exec('COMMIT');
    } catch {
      try {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      } catch (rollbackError) {
        for (const entry of group) entry.reject(rollbackError);
        return;
      }
      // One write threw: the others are fine, so each goes alone and settles with its outcome.
      for (const entry of group) settleAlone(entry);
      return;
    }
    group.forEach((entry, index) => entry.resolve(results[index]));
  }

  get isOpen(): boolean {
    return this.#db.isOpen;
  }

  close(): void {
    this.#flushGrouped();
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
