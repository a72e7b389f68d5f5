import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SqliteDatabase } from '../../adapters/sqlite/database.ts';
import { createSqliteOidcModelStore } from '../../adapters/sqlite/oidc-model-store.ts';

/**
 * oidc-model upserts, and consumes without events, are grouped per event-loop turn into one
 * transaction (database.ts, groupWrite): what a caller can observe must stay what it was when
 * each ran on its own.
 */
describe('grouped SQLite writes', () => {
  let root: string;
  let db: SqliteDatabase;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tessera-grouped-'));
    db = new SqliteDatabase(join(root, 'tessera.sqlite'));
  });
  afterEach(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  const store = () => createSqliteOidcModelStore(db, () => Date.now());

  it('stores every upsert of one turn, each readable once its promise resolves', async () => {
    const models = store();
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        models.upsert('AccessToken', `token-${index}`, { jti: `token-${index}` }, 60),
      ),
    );
    for (let index = 0; index < 20; index += 1) {
      expect(await models.find('AccessToken', `token-${index}`)).toMatchObject({
        jti: `token-${index}`,
      });
    }
  });

  it('lets no later operation overtake an upsert called before it', async () => {
    const models = store();
    const written = models.upsert('Session', 'session-1', { jti: 'session-1' }, 60);
    // Called in the same turn, before the group ran: the upsert must apply first, as it did
    // when it ran at once.
    const seen = models.find('Session', 'session-1');
    const destroyed = models.destroy('Session', 'session-1');
    await Promise.all([written, destroyed]);
    expect(await seen).toMatchObject({ jti: 'session-1' });
    expect(await models.find('Session', 'session-1')).toBeUndefined();
  });

  it('keeps grouping while the turn reads other rows by their key', async () => {
    const models = store();
    // Another connection sees only what is committed.
    const observer = new DatabaseSync(join(root, 'tessera.sqlite'), { readOnly: true });
    const committed = (id: string) =>
      observer.prepare('SELECT 1 FROM oidc_models WHERE model = ? AND id = ?').get('Grant', id) !==
      undefined;
    try {
      await models.upsert('Grant', 'grant-read', { jti: 'grant-read' }, 60);
      const first = models.upsert('Grant', 'grant-a', { jti: 'grant-a' }, 60);
      // A lookup of another row in the same turn: it cannot see grant-a either way, so it does
      // not commit the group on its own (one commit per token, as it did before).
      const read = models.find('Grant', 'grant-read');
      const second = models.upsert('Grant', 'grant-b', { jti: 'grant-b' }, 60);
      expect(committed('grant-a')).toBe(false);
      expect(await read).toMatchObject({ jti: 'grant-read' });
      await Promise.all([first, second]);
      expect(committed('grant-a')).toBe(true);
      expect(committed('grant-b')).toBe(true);
    } finally {
      observer.close();
    }
  });

  it('commits the group first when the turn reads a row it writes', async () => {
    const models = store();
    const written = models.upsert('Grant', 'grant-1', { jti: 'grant-1', v: 1 }, 60);
    const other = models.upsert('Grant', 'grant-2', { jti: 'grant-2' }, 60);
    expect(await models.find('Grant', 'grant-1')).toMatchObject({ v: 1 });
    await Promise.all([written, other]);
  });

  it('groups a consume with the token writes of its turn', async () => {
    const models = store();
    const observer = new DatabaseSync(join(root, 'tessera.sqlite'), { readOnly: true });
    const consumedSeen = (id: string) =>
      (
        observer
          .prepare('SELECT consumed_at FROM oidc_models WHERE model = ? AND id = ?')
          .get('RefreshToken', id) as { consumed_at: number | null } | undefined
      )?.consumed_at != null;
    try {
      await models.upsert('RefreshToken', 'rt-old', { jti: 'rt-old' }, 60);
      const consumed = models.consume('RefreshToken', 'rt-old');
      const rotated = models.upsert('RefreshToken', 'rt-new', { jti: 'rt-new' }, 60);
      // Not committed on its own: it waits for the turn's group, as the upsert does.
      expect(consumedSeen('rt-old')).toBe(false);
      expect(await consumed).toBe(true);
      await rotated;
      expect(consumedSeen('rt-old')).toBe(true);
    } finally {
      observer.close();
    }
  });

  it('lets exactly one of two consumes of one token in the same turn succeed', async () => {
    const models = store();
    await models.upsert('RefreshToken', 'rt-1', { jti: 'rt-1' }, 60);
    const outcomes = await Promise.all([
      models.consume('RefreshToken', 'rt-1'),
      models.consume('RefreshToken', 'rt-1'),
    ]);
    expect(outcomes.sort()).toEqual([false, true]);
    expect(await models.find('RefreshToken', 'rt-1')).toMatchObject({
      consumed: expect.any(Number),
    });
  });

  it('settles each write of a failed group with its own outcome', async () => {
    const models = store();
    const good = models.upsert('AccessToken', 'kept', { jti: 'kept' }, 60);
    const bad = db.groupWrite('test\0failing', () => {
      throw new Error('this write fails');
    });
    const alsoGood = models.upsert('AccessToken', 'also-kept', { jti: 'also-kept' }, 60);
    await expect(bad).rejects.toThrow('this write fails');
    await expect(good).resolves.toBeUndefined();
    await expect(alsoGood).resolves.toBeUndefined();
    expect(await models.find('AccessToken', 'kept')).toMatchObject({ jti: 'kept' });
    expect(await models.find('AccessToken', 'also-kept')).toMatchObject({ jti: 'also-kept' });
  });

  it('refuses a grouped write inside a transaction, which could roll it back after it resolved', async () => {
    let grouped: Promise<void> | undefined;
    db.transaction(() => {
      grouped = db.groupWrite('test\0inside', () => undefined);
    });
    await expect(grouped).rejects.toThrow('not for use inside a transaction');
  });

  it('writes what is grouped before the connection closes', async () => {
    const path = join(root, 'tessera.sqlite');
    const written = store().upsert('Grant', 'grant-1', { jti: 'grant-1' }, 60);
    db.close();
    await written;
    db = new SqliteDatabase(path);
    expect(await store().find('Grant', 'grant-1')).toMatchObject({ jti: 'grant-1' });
  });
});
