import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { startCliFixture, type CliFixture } from '../helpers/cli-fixture.ts';
import { runTessera, stderrLines } from '../helpers/cli-runner.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

describe('tessera init and migrate (against the store)', () => {
  let f: CliFixture;

  beforeAll(async () => {
    f = await startCliFixture();
  });
  afterAll(() => f.t.stop());

  it('creates an admin client while the server runs, whose credentials work at once', async () => {
    // startCliFixture ran `tessera init` against the running server's SQLite file.
    const run = await runTessera(['clients', 'list', '--json'], f.env);
    expect(run.code).toBe(0);
    const admin = run
      .json()
      .items.find((c: { client_id: string }) => c.client_id === f.admin.clientId);
    expect(admin).toMatchObject({ scope: 'tessera:admin', grant_types: ['client_credentials'] });
  });

  it('records the admin client as tessera.client.created', async () => {
    const events = await f.t.tessera.storage.outbox.listRecent({
      type: 'tessera.client.created',
      limit: 100,
    });
    expect(events.map((event) => event.subject)).toContain(f.admin.clientId);
  });

  it('creates nothing on a second run and says so', async () => {
    const before = (await f.t.tessera.clients.list({ limit: 100 })).length;
    const text = await runTessera(['init'], f.storeEnv);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`An admin client exists already (${f.admin.clientId})`);
    const json = await runTessera(['init', '--json'], f.storeEnv);
    expect(json.json()).toEqual({ created: false, client_id: f.admin.clientId });
    expect((await f.t.tessera.clients.list({ limit: 100 })).length).toBe(before);
  });

  it('creates another admin client with --force', async () => {
    const run = await runTessera(
      ['init', '--force', '--name', 'second admin', '--json'],
      f.storeEnv,
    );
    expect(run.code).toBe(0);
    const created = run.json();
    expect(Object.keys(created).sort()).toEqual(['client_id', 'client_secret', 'created', 'name']);
    expect(created).toMatchObject({ created: true, name: 'second admin' });
    expect(created.client_id).not.toBe(f.admin.clientId);
    expect(run.stderr).toContain('will not show it again');
    const list = await runTessera(['clients', 'list', '--json'], {
      ...f.env,
      TESSERA_CLIENT_ID: created.client_id,
      TESSERA_CLIENT_SECRET: created.client_secret,
    });
    expect(list.code).toBe(0);
  });

  it('exits 1 with one line for an invalid configuration', async () => {
    const run = await runTessera(['init'], { ...f.storeEnv, PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      expect.stringMatching(/^tessera: configuration error: PORT/),
    ]);
  });

  it('exits 1 with one line per invalid variable', async () => {
    const run = await runTessera(['init'], { ...f.storeEnv, PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      expect.stringMatching(/^tessera: configuration error: PORT: /),
      expect.stringMatching(/^tessera: configuration error: LOG_LEVEL: /),
    ]);
  });

  it('exits 1 when the key-encryption key is not the server’s, creating nothing', async () => {
    const before = (await f.t.tessera.clients.list({ limit: 100 })).length;
    const run = await runTessera(['init', '--force'], {
      ...f.storeEnv,
      TESSERA_KEY_ENCRYPTION_KEY: testSecrets().TESSERA_KEY_ENCRYPTION_KEY,
    });
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([expect.stringContaining('TESSERA_KEY_ENCRYPTION_KEY')]);
    expect((await f.t.tessera.clients.list({ limit: 100 })).length).toBe(before);
  });

  it('works before the server ever ran, leaving the signing keys to the server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-init-first-'));
    try {
      const env = { TESSERA_DATA_DIR: dataDir, ...testSecrets() };
      const run = await runTessera(['init', '--json'], env);
      expect(run.code).toBe(0);
      expect(run.json()).toMatchObject({ created: true });
      const storage = openSqliteStorage({ path: join(dataDir, 'tessera.sqlite') });
      try {
        expect(await storage.signingKeys.list()).toEqual([]);
        expect(await storage.clients.get(run.json().client_id)).toBeDefined();
      } finally {
        await storage.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('migrates a fresh SQLite store and reports it, repeatably', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-migrate-'));
    try {
      const env = { TESSERA_DATA_DIR: dataDir, ...testSecrets() };
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const run = await runTessera(['migrate', '--json'], env);
        expect(run.code).toBe(0);
        expect(run.json()).toEqual({
          storage: 'sqlite',
          location: join(dataDir, 'tessera.sqlite'),
          migrated: true,
          // The one-time data migrations run once, the first time.
          data_migrations: attempt === 0 ? [{ name: 'oidc-model-keys-sha256', changed: 0 }] : [],
          usernames: { checked: 0, rekeyed: 0, collisions: [] },
        });
      }
      const text = await runTessera(['migrate'], env);
      expect(text.stdout).toContain('is up to date');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
