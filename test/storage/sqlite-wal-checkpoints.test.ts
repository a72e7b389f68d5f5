import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SqliteDatabase } from '../../adapters/sqlite/database.ts';

/**
 * The write-ahead log is copied back into the database every 4000 pages rather than SQLite's
 * 1000 (adapters/sqlite/database.ts, WAL_AUTOCHECKPOINT_PAGES): fewer checkpoints, each page
 * copied once however often it changed in between.
 */
describe('SQLite write-ahead log checkpoints', () => {
  let root: string;
  let db: SqliteDatabase;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tessera-wal-'));
    db = new SqliteDatabase(join(root, 'tessera.sqlite'));
  });
  afterEach(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('lets the log grow past SQLite’s default 1000 pages before a commit checkpoints it', () => {
    const pageSize = (db.statement('PRAGMA page_size').get() as { page_size: number }).page_size;
    const insert = db.statement(
      'INSERT INTO oidc_models (model, id, payload, expires_at) VALUES (?, ?, ?, ?)',
    );
    // One commit per row, as token writes are: each adds frames to the log. 1500 single-row
    // commits write well over 1000 pages, which SQLite's default would have checkpointed
    // (and then reused the log from its start, so it would never exceed ~1000 pages).
    for (let index = 0; index < 1500; index += 1) {
      insert.run('AccessToken', `token-${index}`, JSON.stringify({ jti: index }), null);
    }
    const walPages = statSync(join(root, 'tessera.sqlite-wal')).size / pageSize;
    expect(walPages).toBeGreaterThan(1100);
    expect(
      (db.statement('PRAGMA wal_autocheckpoint').get() as Record<string, number>)[
        'wal_autocheckpoint'
      ],
    ).toBe(4000);
  });
});
