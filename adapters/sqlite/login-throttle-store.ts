import type { FailureWindow } from '../../src/ports/accounts.ts';
import type { LoginThrottleStore } from '../../src/ports/login-throttle.ts';
import type { SqliteDatabase } from './database.ts';

interface WindowRow {
  count: number;
  first_at: number;
  last_at: number;
}

const toWindow = (row: WindowRow): FailureWindow => ({
  count: row.count,
  firstAt: row.first_at,
  lastAt: row.last_at,
});

export function createSqliteLoginThrottleStore(db: SqliteDatabase): LoginThrottleStore {
  const read = (key: string, now: number) => {
    const row = db
      .statement(
        'SELECT count, first_at, last_at FROM login_throttle WHERE key = ? AND retain_until > ?',
      )
      .get(key, now) as WindowRow | undefined;
    return row ? toWindow(row) : undefined;
  };

  return {
    async changeWindow(key, change, { now, retainUntil }) {
      // One write transaction (BEGIN IMMEDIATE, database.ts) from the read to the write: other
      // processes on this file wait for SQLite's write lock, and node:sqlite being synchronous,
      // nothing else in this process runs in between either.
      return db.transaction(() => {
        const { next, result } = change(read(key, now));
        if (next) {
          db.statement(
            `INSERT INTO login_throttle (key, count, first_at, last_at, retain_until)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET
               count = excluded.count,
               first_at = excluded.first_at,
               last_at = excluded.last_at,
               retain_until = max(retain_until, excluded.retain_until)`,
          ).run(key, next.count, next.firstAt, next.lastAt, retainUntil);
        }
        return result;
      });
    },

    async get(key, now) {
      return read(key, now);
    },

    async clear(key) {
      db.statement('DELETE FROM login_throttle WHERE key = ?').run(key);
    },

    async pruneExpired(now) {
      const { changes } = db
        .statement('DELETE FROM login_throttle WHERE retain_until <= ?')
        .run(now);
      return Number(changes);
    },
  };
}
