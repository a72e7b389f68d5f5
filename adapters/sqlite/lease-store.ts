import type { Lease, LeaseStore } from '../../src/ports/leases.ts';
import type { SqliteDatabase } from './database.ts';

interface LeaseRow {
  name: string;
  holder: string;
  expires_at: number;
}

const toLease = (row: LeaseRow): Lease => ({
  name: row.name,
  holder: row.holder,
  expiresAt: row.expires_at,
});

/**
 * Leases as rows of one table. Each operation is a single conditional statement, so SQLite's
 * write lock makes it atomic across every process sharing the file.
 */
export function createSqliteLeaseStore(db: SqliteDatabase, clock: () => number): LeaseStore {
  return {
    async acquire(name, holder, ttlMs) {
      const now = clock();
      const row = db
        .statement(
          `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE leases.expires_at <= ? OR leases.holder = excluded.holder
           RETURNING name, holder, expires_at`,
        )
        .get(name, holder, now + ttlMs, now) as LeaseRow | undefined;
      return row ? toLease(row) : undefined;
    },

    async renew(name, holder, ttlMs) {
      const now = clock();
      const row = db
        .statement(
          `UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?
           RETURNING name, holder, expires_at`,
        )
        .get(now + ttlMs, name, holder, now) as LeaseRow | undefined;
      return row ? toLease(row) : undefined;
    },

    async release(name, holder) {
      db.statement('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder);
    },

    async get(name) {
      const row = db
        .statement('SELECT name, holder, expires_at FROM leases WHERE name = ? AND expires_at > ?')
        .get(name, clock()) as LeaseRow | undefined;
      return row ? toLease(row) : undefined;
    },
  };
}
