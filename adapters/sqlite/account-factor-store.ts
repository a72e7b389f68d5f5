import type { AccountFactor, AccountFactorStore } from '../../src/ports/account-factors.ts';
import type { SqliteDatabase } from './database.ts';
import { appendOutboxEvents } from './outbox-store.ts';
import { parseRecord, writeRecordWithEvents, type RecordRow } from './record-writes.ts';

/**
 * Factors as JSON records keyed by their id (the primary key refuses a credential id that any
 * account holds already); `counter` is a column of its own so that recordUse is one guarded
 * UPDATE, atomic against every other connection to the file.
 */
export function createSqliteAccountFactorStore(
  db: SqliteDatabase,
  clock: () => number,
): AccountFactorStore {
  return {
    async insert(factor, options) {
      return writeRecordWithEvents(
        db,
        options,
        clock,
        () =>
          db
            .statement(
              `INSERT INTO account_factors (id, account_id, counter, created_at, record)
               VALUES (?, ?, ?, ?, ?)`,
            )
            .run(
              factor.id,
              factor.accountId,
              factor.counter,
              factor.createdAt,
              JSON.stringify(factor),
            ).changes,
      );
    },

    async get(id) {
      const row = db.statement('SELECT record FROM account_factors WHERE id = ?').get(id);
      return parseRecord<AccountFactor>(row as RecordRow | undefined);
    },

    async listByAccount(accountId) {
      const rows = db
        .statement(
          'SELECT record FROM account_factors WHERE account_id = ? ORDER BY created_at, id',
        )
        .all(accountId) as unknown as RecordRow[];
      return rows.map((row) => JSON.parse(row.record) as AccountFactor);
    },

    async recordUse(id, expectedCounter, use, options) {
      return writeRecordWithEvents(db, options, clock, () => {
        const stored = parseRecord<AccountFactor>(
          db.statement('SELECT record FROM account_factors WHERE id = ?').get(id) as
            RecordRow | undefined,
        );
        if (!stored || stored.counter !== expectedCounter) return 0;
        const next: AccountFactor = {
          ...stored,
          counter: use.counter,
          lastUsedAt: use.usedAt,
          data: use.data ?? stored.data,
        };
        // The counter in the filter too: the transaction already excludes other writers, this
        // states the compare-and-set where it happens.
        return db
          .statement(
            'UPDATE account_factors SET counter = ?, record = ? WHERE id = ? AND counter = ?',
          )
          .run(use.counter, JSON.stringify(next), id, expectedCounter).changes;
      });
    },

    async delete(accountId, id, options) {
      return writeRecordWithEvents(
        db,
        options,
        clock,
        () =>
          db
            .statement('DELETE FROM account_factors WHERE id = ? AND account_id = ?')
            .run(id, accountId).changes,
      );
    },

    async deleteByAccount(accountId, options) {
      return db.transaction(() => {
        const { changes } = db
          .statement('DELETE FROM account_factors WHERE account_id = ?')
          .run(accountId);
        appendOutboxEvents(db, options, clock());
        return Number(changes);
      });
    },
  };
}
