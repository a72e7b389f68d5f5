import type { RevokedJwtStore } from '../../src/ports/revoked-jwts.ts';
import type { SqliteDatabase } from './database.ts';
import { writeRecordWithEvents } from './record-writes.ts';

export function createSqliteRevokedJwtStore(
  db: SqliteDatabase,
  clock: () => number,
): RevokedJwtStore {
  return {
    async add(revoked, options) {
      // The primary key decides: a jti recorded already changes no row, so no event is appended.
      return writeRecordWithEvents(
        db,
        options,
        clock,
        () =>
          db
            .statement(
              'INSERT INTO revoked_jwts (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING',
            )
            .run(revoked.jti, revoked.exp * 1000).changes,
      );
    },

    async has(jti) {
      const row = db
        .statement('SELECT 1 AS found FROM revoked_jwts WHERE jti = ? AND expires_at > ?')
        .get(jti, clock());
      return row !== undefined;
    },

    async pruneExpired() {
      const { changes } = db
        .statement('DELETE FROM revoked_jwts WHERE expires_at <= ?')
        .run(clock());
      return Number(changes);
    },
  };
}
