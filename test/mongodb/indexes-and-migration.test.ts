import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CommandStartedEvent } from 'mongodb';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';

import { resourceServersOf } from '../../adapters/mongodb/collections.ts';
import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { storageKeyOf } from '../../src/provider/stored-token-keys.ts';
import { migrateStorage } from '../../src/storage/migrate-storage.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import {
  dropMongoDatabase,
  freshDatabaseName,
  openTestMongoStorage,
} from '../helpers/mongodb-storage.ts';
import { mongodbUri } from '../helpers/services.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

const silent = pino({ level: 'silent' });

describe('MongoDB indexes, migration and store selection', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-migrate-'));
  const databases: string[] = [];
  const configFor = (env: Record<string, string> = {}) => {
    const dbName = freshDatabaseName();
    databases.push(dbName);
    return loadConfig({
      TESSERA_DATA_DIR: dataDir,
      MONGODB_URI: mongodbUri(),
      MONGODB_DB: dbName,
      ...testSecrets(),
      ...env,
    });
  };
  const indexesOf = async (dbName: string, collection: string) => {
    const client = createMongoClient(mongodbUri());
    try {
      return (await client.db(dbName).collection(collection).listIndexes().toArray()).map(
        (index) => index['name'] as string,
      );
    } catch {
      return [];
    } finally {
      await client.close();
    }
  };
  afterAll(async () => {
    for (const dbName of databases) await dropMongoDatabase(mongodbUri(), dbName);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates the lookup, uniqueness and expiry indexes once, and nothing on a second run', async () => {
    const config = configFor();
    const first = await migrateStorage(config);
    if (first.kind !== 'mongodb') throw new Error('expected a MongoDB migration');
    const expiry = first.ttlUnsupported ? 'expiresAt' : 'expiresAt_ttl';
    expect(first.created).toEqual(
      expect.arrayContaining([
        'oidc_access_tokens.grantId',
        'oidc_refresh_tokens.grantId',
        'oidc_authorization_codes.grantId',
        'oidc_sessions.uid',
        'oidc_sessions.accountId',
        'oidc_grants.accountId',
        'oidc_device_codes.userCode',
        'resource_servers.audience_unique',
        'outbox.sequence_unique',
        `oidc_access_tokens.${expiry}`,
        `oidc_consumptions.${expiry}`,
      ]),
    );

    // Each schema step is recorded once applied, and a recorded step does not run again: its
    // indexes are not even listed (test/mongodb/schema-migrations.test.ts has the listing).
    const second = await migrateStorage(config);
    expect(second).toMatchObject({ kind: 'mongodb', applied: [], created: [], existing: [] });
  });

  it('revokes by grant id with one query and one delete on the indexed grantId field', async () => {
    const dbName = freshDatabaseName();
    const commands: CommandStartedEvent[] = [];
    const storage = await openTestMongoStorage({ dbName, onCommand: (e) => commands.push(e) });
    try {
      for (const [id, grantId] of [
        ['a1', 'g1'],
        ['a2', 'g1'],
        ['a3', 'g2'],
      ] as const) {
        await storage.oidcModels.upsert('AccessToken', id, { jti: id, grantId }, 60);
      }
      commands.length = 0;
      await storage.oidcModels.revokeByGrantId('AccessToken', 'g1');
      expect(
        commands.map(({ commandName, command }) => ({
          commandName,
          collection: command[commandName],
          filter: command['filter'] ?? command['deletes']?.[0]?.q,
        })),
      ).toEqual([
        { commandName: 'find', collection: 'oidc_access_tokens', filter: { grantId: 'g1' } },
        { commandName: 'delete', collection: 'oidc_access_tokens', filter: { grantId: 'g1' } },
      ]);
      expect(await indexesOf(dbName, 'oidc_access_tokens')).toContain('grantId');
    } finally {
      await storage.close();
    }
  });

  it("finds an account's grants with one query on the indexed top-level accountId field", async () => {
    const dbName = freshDatabaseName();
    const commands: CommandStartedEvent[] = [];
    const storage = await openTestMongoStorage({ dbName, onCommand: (e) => commands.push(e) });
    try {
      await storage.oidcModels.upsert('Grant', 'g1', { jti: 'g1', accountId: 'u1' }, 60);
      commands.length = 0;
      expect(await storage.oidcModels.findByAccountId('Grant', 'u1')).toHaveLength(1);
      expect(
        commands.map(
          ({ commandName, command }) => `${commandName} ${String(command[commandName])}`,
        ),
      ).toEqual(['find oidc_grants']);
      expect(commands[0]?.command['filter']).toMatchObject({ accountId: 'u1' });
      expect(await indexesOf(dbName, 'oidc_grants')).toContain('accountId');
    } finally {
      await storage.close();
    }
  });

  it('gives the records an older Tessera stored their accountId and clientId fields when it migrates', async () => {
    const config = configFor();
    if (config.storage.kind !== 'mongodb') throw new Error('expected MongoDB');
    const client = createMongoClient(mongodbUri());
    try {
      // Documents as the previous version wrote them: no top-level accountId.
      const db = client.db(config.storage.dbName);
      const old = (id: string, payload: Record<string, unknown>) => ({
        _id: id,
        payload: JSON.stringify({ jti: id, ...payload }),
        grantId: null,
        uid: null,
        userCode: null,
        expiresAt: null,
      });
      await db
        .collection<{ _id: string }>('oidc_grants')
        .insertMany([
          old('g1', { accountId: 'u1', clientId: 'c1' }),
          old('g2', { accountId: 'u2', clientId: 'c1' }),
        ]);
      await db
        .collection<{ _id: string }>('oidc_sessions')
        .insertMany([old('s1', { accountId: 'u1' }), old('s2', {})]);

      const first = await migrateStorage(config);
      // accountId on the two grants and two sessions, clientId on the two grants.
      expect(first).toMatchObject({ backfilled: 6 });
      expect(await migrateStorage(config)).toMatchObject({ backfilled: 0 });
      const storage = await openTestMongoStorage({ dbName: config.storage.dbName });
      try {
        const ids = async (model: 'Grant' | 'Session', accountId: string) =>
          (await storage.oidcModels.findByAccountId(model, accountId)).map((p) => p['jti']);
        expect(await ids('Grant', 'u1')).toEqual(['g1']);
        expect(await ids('Grant', 'u2')).toEqual(['g2']);
        // Sessions are bearer artifacts: the same migration re-keyed s1 to the hash of its id.
        expect(await ids('Session', 'u1')).toEqual([storageKeyOf('s1')]);
        const ofClient = await storage.oidcModels.findByClientId('Grant', 'c1');
        expect(ofClient.map((p) => p['jti']).sort()).toEqual(['g1', 'g2']);
      } finally {
        await storage.close();
      }
    } finally {
      await client.close();
    }
  });

  it('reads a resource server an older Tessera stored, without introspectors or require_dpop, as naming none and requiring nothing', async () => {
    const dbName = freshDatabaseName();
    const storage = await openTestMongoStorage({ dbName });
    try {
      // The document as the previous version wrote it: its record has no introspectors or requireDpop field.
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
      await resourceServersOf(storage.client.db(dbName)).insertOne({
        _id: legacy.id,
        audience: legacy.audience,
        version: 1,
        record: JSON.stringify(legacy),
      });
      const expected = { ...legacy, introspectors: [], requireDpop: false };
      expect(await storage.resourceServers.get('rs_old')).toEqual(expected);
      expect(await storage.resourceServers.getByAudience(legacy.audience)).toEqual(expected);
      expect(await storage.resourceServers.list({ limit: 10 })).toEqual([expected]);
    } finally {
      await storage.close();
    }
  });

  it('opens the store the configuration names, ensuring indexes unless told not to', async () => {
    const sqlite = await openStorage(loadConfig({ TESSERA_DATA_DIR: dataDir, ...testSecrets() }), {
      logger: silent,
    });
    expect(sqlite.kind).toBe('sqlite');
    await sqlite.close();

    const ensured = configFor();
    const mongodb = await openStorage(ensured, { logger: silent });
    expect(mongodb.kind).toBe('mongodb');
    await mongodb.close();
    if (ensured.storage.kind !== 'mongodb') throw new Error('expected MongoDB');
    expect(await indexesOf(ensured.storage.dbName, 'resource_servers')).toContain(
      'audience_unique',
    );

    const unensured = configFor({ TESSERA_MONGODB_ENSURE_INDEXES: 'false' });
    await (await openStorage(unensured, { logger: silent })).close();
    if (unensured.storage.kind !== 'mongodb') throw new Error('expected MongoDB');
    expect(await indexesOf(unensured.storage.dbName, 'resource_servers')).toEqual([]);
  });
});
