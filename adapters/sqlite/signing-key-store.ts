import type { SigningKeyRecord, SigningKeyStore } from '../../src/ports/signing-keys.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';
import { appendOutboxEvents } from './outbox-store.ts';

class Abort extends Error {}

export function createSqliteSigningKeyStore(
  db: SqliteDatabase,
  clock: () => number,
): SigningKeyStore {
  return {
    async list() {
      const rows = db
        .statement('SELECT record FROM signing_keys ORDER BY kid')
        .all() as unknown as {
        record: string;
      }[];
      return rows.map((row) => JSON.parse(row.record) as SigningKeyRecord);
    },

    async insert(records, options?: WriteOptions) {
      try {
        db.transaction(() => {
          const insert = db.statement(
            'INSERT INTO signing_keys (kid, state, record) VALUES (?, ?, ?) ON CONFLICT (kid) DO NOTHING',
          );
          for (const record of records) {
            if (insert.run(record.kid, record.state, JSON.stringify(record)).changes !== 1) {
              throw new Abort();
            }
          }
          appendOutboxEvents(db, options, clock());
        });
        return true;
      } catch (error) {
        if (error instanceof Abort) return false;
        throw error;
      }
    },

    async transition(changes, options?: WriteOptions) {
      try {
        db.transaction(() => {
          const update = db.statement(
            'UPDATE signing_keys SET state = ?, record = ? WHERE kid = ? AND state = ?',
          );
          for (const { record, expectedState } of changes) {
            const result = update.run(
              record.state,
              JSON.stringify(record),
              record.kid,
              expectedState,
            );
            if (result.changes !== 1) throw new Abort();
          }
          appendOutboxEvents(db, options, clock());
        });
        return true;
      } catch (error) {
        if (error instanceof Abort) return false;
        throw error;
      }
    },

    async delete(kids, options?: WriteOptions) {
      db.transaction(() => {
        const remove = db.statement('DELETE FROM signing_keys WHERE kid = ?');
        for (const kid of kids) remove.run(kid);
        appendOutboxEvents(db, options, clock());
      });
    },
  };
}
