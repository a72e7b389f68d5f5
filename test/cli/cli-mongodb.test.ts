import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runTessera } from '../helpers/cli-runner.ts';
import { dropMongoDatabase, freshDatabaseName } from '../helpers/mongodb-storage.ts';
import { mongodbUri } from '../helpers/services.ts';
import { startTestTessera, testSecrets, type TestTessera } from '../helpers/test-tessera.ts';

describe('tessera init, migrate and the admin API on MongoDB', () => {
  const databases: string[] = [];
  const mongoEnv = () => {
    const dbName = freshDatabaseName();
    databases.push(dbName);
    return { MONGODB_URI: mongodbUri(), MONGODB_DB: dbName };
  };
  let t: TestTessera;
  let serverEnv: Record<string, string>;

  beforeAll(async () => {
    serverEnv = { ...mongoEnv(), ...testSecrets(), LOG_LEVEL: 'error' };
    t = await startTestTessera(serverEnv);
  });
  afterAll(async () => {
    await t.stop();
    for (const dbName of databases) await dropMongoDatabase(mongodbUri(), dbName);
  });

  it('migrate creates the indexes once and reports them', async () => {
    const env = { ...mongoEnv(), ...testSecrets() };
    const first = await runTessera(['migrate', '--json'], env);
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({
      storage: 'mongodb',
      location: env.MONGODB_DB,
      migrated: true,
      applied_steps: expect.arrayContaining(['1 lookup and uniqueness indexes']),
      created_indexes: expect.arrayContaining(['resource_servers.audience_unique']),
    });
    // The schema steps are recorded: a second run applies none and lists no index.
    const second = (await runTessera(['migrate', '--json'], env)).json();
    expect(second).toMatchObject({ applied_steps: [], created_indexes: [], existing_indexes: [] });
  });

  it('init creates an admin client in the running server’s database, usable at once', async () => {
    const init = await runTessera(['init', '--json'], {
      ...serverEnv,
      TESSERA_DATA_DIR: t.dataDir,
    });
    expect(init.code).toBe(0);
    const { client_id: clientId, client_secret: clientSecret } = init.json();
    const env = {
      TESSERA_URL: t.issuer,
      TESSERA_CLIENT_ID: clientId,
      TESSERA_CLIENT_SECRET: clientSecret,
    };
    const created = await runTessera(
      ['resources', 'create', '--audience', 'https://m.example.com', '--scope', 'm:read', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const listed = await runTessera(['clients', 'list', '--json'], env);
    expect(listed.json().items.map((c: { client_id: string }) => c.client_id)).toContain(clientId);
    const again = await runTessera(['init', '--json'], {
      ...serverEnv,
      TESSERA_DATA_DIR: t.dataDir,
    });
    expect(again.json()).toEqual({ created: false, client_id: clientId });
  });
});
