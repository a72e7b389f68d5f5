import { describe, expect, it } from 'vitest';

import { SqliteDatabase } from '../../adapters/sqlite/database.ts';
import { createSqliteOidcModelStore } from '../../adapters/sqlite/oidc-model-store.ts';

/** The SQLite oidc-model store with every statement it prepares recorded. */
function recordingStore() {
  const db = new SqliteDatabase(':memory:');
  const statements: string[] = [];
  const prepare = db.statement.bind(db);
  db.statement = (sql) => {
    statements.push(sql);
    return prepare(sql);
  };
  return { db, prepare, statements, models: createSqliteOidcModelStore(db, Date.now) };
}

/**
 * Lookups by anything but a record's key must go through that field's index: SQLite's planner,
 * without ANALYZE statistics, otherwise scans every record of the model (all sessions to find
 * one by uid, all refresh tokens to revoke one grant's). The plans are read with EXPLAIN QUERY
 * PLAN on the statements the store really runs.
 */
describe('SQLite oidc-model lookups', () => {
  it('find records by uid, user code, account, client and grant through an index, never a scan of the model', async () => {
    const { db, prepare, statements, models } = recordingStore();
    try {
      await models.upsert('Session', 's1', { jti: 's1', uid: 'u1', accountId: 'a1' }, 60);
      await models.upsert('DeviceCode', 'd1', { jti: 'd1', userCode: 'UC1', clientId: 'c1' }, 60);
      await models.upsert('Grant', 'g1', { jti: 'g1', clientId: 'c1', accountId: 'a1' }, 60);
      await models.upsert('RefreshToken', 'r1', { jti: 'r1', clientId: 'c1', grantId: 'g1' }, 60);
      statements.length = 0;

      await models.findByUid('Session', 'u1');
      await models.findByUserCode('DeviceCode', 'UC1');
      await models.findByAccountId('Grant', 'a1');
      await models.findByClientId('RefreshToken', 'c1');
      await models.revokeByClientId('RefreshToken', 'c1');
      await models.revokeByGrantId('AccessToken', 'g1');

      const lookups = statements.filter((sql) => /\bFROM oidc_models\b/.test(sql));
      expect(lookups.length).toBeGreaterThanOrEqual(6);
      for (const sql of lookups) {
        const plan = (prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
          .map((row) => row.detail)
          .join(' | ');
        expect({ sql, plan }).toEqual({ sql, plan: expect.stringMatching(/USING INDEX/) });
        expect({ sql, plan }).toEqual({
          sql,
          plan: expect.not.stringMatching(/PRIMARY KEY \(model=\?\)/),
        });
      }
    } finally {
      db.close();
    }
  });
});
