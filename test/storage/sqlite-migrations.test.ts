import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { afterEach, describe, expect, it } from 'vitest';

import { MIGRATIONS } from '../../adapters/sqlite/migrations.ts';
import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';

describe('SQLite migrations', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A database file at the schema of the version before the account-id lookup existed. */
  function previousVersionFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-migrations-'));
    dirs.push(dir);
    const path = join(dir, 'tessera.sqlite');
    const db = new DatabaseSync(path);
    const previous = MIGRATIONS.findIndex((step) => step.includes('ADD COLUMN account_id'));
    for (const step of MIGRATIONS.slice(0, previous)) db.exec(step);
    db.exec(`PRAGMA user_version = ${previous}`);
    const insert = db.prepare(
      'INSERT INTO oidc_models (model, id, payload, grant_id, uid) VALUES (?, ?, ?, ?, ?)',
    );
    insert.run('Grant', 'g1', JSON.stringify({ jti: 'g1', accountId: 'u1' }), null, null);
    insert.run(
      'Session',
      's1',
      JSON.stringify({ jti: 's1', uid: 'x', accountId: 'u1' }),
      null,
      'x',
    );
    insert.run('Session', 's2', JSON.stringify({ jti: 's2', uid: 'y' }), null, 'y');
    insert.run('AccessToken', 'a1', JSON.stringify({ jti: 'a1', accountId: 'u1' }), 'g1', null);
    db.close();
    return path;
  }

  it('finds the grants and sessions stored before the account-id lookup existed', async () => {
    const storage = openSqliteStorage({ path: previousVersionFile() });
    try {
      const grants = await storage.oidcModels.findByAccountId('Grant', 'u1');
      expect(grants).toEqual([{ jti: 'g1', accountId: 'u1' }]);
      const sessions = await storage.oidcModels.findByAccountId('Session', 'u1');
      expect(sessions).toEqual([{ jti: 's1', uid: 'x', accountId: 'u1' }]);
    } finally {
      await storage.close();
    }
  });

  it('reads a resource server stored before introspectors and require_dpop as naming none and requiring nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-migrations-'));
    dirs.push(dir);
    const path = join(dir, 'tessera.sqlite');
    const db = new DatabaseSync(path);
    for (const step of MIGRATIONS) db.exec(step);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    // The row as the previous version wrote it: its record has no introspectors or requireDpop field.
    const legacy = {
      id: 'rs_old',
      audience: 'https://old.example.com',
      name: 'old',
      scopes: ['read'],
      accessTokenFormat: 'opaque',
      accessTokenTtl: 300,
      createdAt: 1,
      updatedAt: 1,
      version: 1,
    };
    db.prepare(
      'INSERT INTO resource_servers (id, audience, version, record) VALUES (?, ?, ?, ?)',
    ).run(legacy.id, legacy.audience, 1, JSON.stringify(legacy));
    db.close();
    const storage = openSqliteStorage({ path });
    try {
      const expected = { ...legacy, introspectors: [], requireDpop: false };
      expect(await storage.resourceServers.get('rs_old')).toEqual(expected);
      expect(await storage.resourceServers.getByAudience(legacy.audience)).toEqual(expected);
      expect(await storage.resourceServers.list({ limit: 10 })).toEqual([expected]);
    } finally {
      await storage.close();
    }
  });

  it("finds and removes a client's records stored before the client-id lookup existed", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-migrations-'));
    dirs.push(dir);
    const path = join(dir, 'tessera.sqlite');
    const db = new DatabaseSync(path);
    const previous = MIGRATIONS.findIndex((step) => step.includes('ADD COLUMN client_id'));
    for (const step of MIGRATIONS.slice(0, previous)) db.exec(step);
    db.exec(`PRAGMA user_version = ${previous}`);
    const insert = db.prepare('INSERT INTO oidc_models (model, id, payload) VALUES (?, ?, ?)');
    insert.run('Grant', 'g1', JSON.stringify({ jti: 'g1', clientId: 'cl_old' }));
    insert.run('RefreshToken', 'r1', JSON.stringify({ jti: 'r1', clientId: 'cl_old' }));
    insert.run('Interaction', 'i1', JSON.stringify({ jti: 'i1', clientId: 'cl_old' }));
    db.close();

    const storage = openSqliteStorage({ path });
    try {
      expect(await storage.oidcModels.findByClientId('Grant', 'cl_old')).toEqual([
        { jti: 'g1', clientId: 'cl_old' },
      ]);
      await storage.clients.delete('cl_old');
      expect(await storage.oidcModels.find('RefreshToken', 'r1')).toBeUndefined();
      // Not a client-bound model: it keeps its row (and expires on its own).
      expect(await storage.oidcModels.find('Interaction', 'i1')).toBeDefined();
    } finally {
      await storage.close();
    }
  });

  it('keeps a config key recorded twice before it was unique on the oldest holder and detaches the later one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-migrations-'));
    dirs.push(dir);
    const path = join(dir, 'tessera.sqlite');
    const db = new DatabaseSync(path);
    const previous = MIGRATIONS.findIndex((step) => step.includes('clients_config_key'));
    for (const step of MIGRATIONS.slice(0, previous)) db.exec(step);
    db.exec(`PRAGMA user_version = ${previous}`);
    const insertClient = db.prepare(
      'INSERT INTO clients (client_id, version, record) VALUES (?, ?, ?)',
    );
    for (const [clientId, createdAt] of [
      ['cl_later', 20],
      ['cl_first', 10],
      ['cl_tie', 10],
    ] as const) {
      insertClient.run(
        clientId,
        1,
        JSON.stringify({ clientId, createdAt, version: 1, configKey: 'web' }),
      );
    }
    const insertServer = db.prepare(
      'INSERT INTO resource_servers (id, audience, version, record) VALUES (?, ?, ?, ?)',
    );
    for (const [id, createdAt] of [
      ['rs_b', 5],
      ['rs_a', 7],
    ] as const) {
      const audience = `https://${id}.example.com`;
      insertServer.run(
        id,
        audience,
        1,
        JSON.stringify({ id, audience, createdAt, version: 1, configKey: 'orders' }),
      );
    }
    db.close();

    const storage = openSqliteStorage({ path });
    try {
      expect(await storage.clients.get('cl_first')).toMatchObject({ configKey: 'web', version: 1 });
      for (const clientId of ['cl_later', 'cl_tie']) {
        const detached = await storage.clients.get(clientId);
        expect(detached, clientId).toMatchObject({ version: 2 });
        expect(detached, clientId).not.toHaveProperty('configKey');
      }
      expect(await storage.resourceServers.get('rs_b')).toMatchObject({ configKey: 'orders' });
      expect(await storage.resourceServers.get('rs_a')).not.toHaveProperty('configKey');
      const again = { clientId: 'cl_new', configKey: 'web', version: 1 } as never;
      expect(await storage.clients.insert(again)).toBe(false);
    } finally {
      await storage.close();
    }
  });

  it('moves the catalog generation when a client stored before it existed is deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-migrations-'));
    dirs.push(dir);
    const path = join(dir, 'tessera.sqlite');
    const db = new DatabaseSync(path);
    const previous = MIGRATIONS.findIndex((step) => step.includes('catalog_generation'));
    for (const step of MIGRATIONS.slice(0, previous)) db.exec(step);
    db.exec(`PRAGMA user_version = ${previous}`);
    db.prepare('INSERT INTO clients (client_id, version, record) VALUES (?, ?, ?)').run(
      'cl_old',
      1,
      JSON.stringify({ clientId: 'cl_old', version: 1 }),
    );
    db.close();

    const storage = openSqliteStorage({ path });
    try {
      const before = await storage.catalogGeneration.read();
      expect(await storage.clients.delete('cl_old')).toBe(true);
      expect(await storage.catalogGeneration.read()).not.toBe(before);
    } finally {
      await storage.close();
    }
  });
});
