import type { FailureWindow } from '../../src/ports/accounts.ts';
import type { LoginThrottleStore } from '../../src/ports/login-throttle.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';
import { appendOutboxEvents } from './outbox-store.ts';

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
  return {
    async recordFailure(key, { now, windowMs, retainUntil }, options?: WriteOptions) {
      return db.transaction(() => {
        // One upsert: a window that began at or before the cutoff restarts at 1.
        const row = db
          .statement(
            `INSERT INTO login_throttle (key, count, first_at, last_at, retain_until)
             VALUES (?, 1, ?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET
               count = CASE WHEN first_at <= ? OR retain_until <= ? THEN 1 ELSE count + 1 END,
               first_at = CASE WHEN first_at <= ? OR retain_until <= ? THEN excluded.first_at ELSE first_at END,
               last_at = excluded.last_at,
               retain_until = max(retain_until, excluded.retain_until)
             RETURNING count, first_at, last_at`,
          )
          .get(
            key,
            now,
            now,
            retainUntil,
            now - windowMs,
            now,
            now - windowMs,
            now,
          ) as unknown as WindowRow;
        appendOutboxEvents(db, options, now);
        return toWindow(row);
      });
    },

    async get(key, now) {
      const row = db
        .statement(
          'SELECT count, first_at, last_at FROM login_throttle WHERE key = ? AND retain_until > ?',
        )
        .get(key, now) as WindowRow | undefined;
      return row ? toWindow(row) : undefined;
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
