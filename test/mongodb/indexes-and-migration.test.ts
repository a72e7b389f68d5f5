import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CommandStartedEvent } from 'mongodb';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';

import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { loadConfig } from '../../src/config/load-config.ts';
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
        'oidc_device_codes.userCode',
        'resource_servers.audience_unique',
        'outbox.sequence_unique',
        `oidc_access_tokens.${expiry}`,
        `oidc_consumptions.${expiry}`,
      ]),
    );

    const second = await migrateStorage(config);
    expect(second).toMatchObject({ kind: 'mongodb', created: [] });
    if (second.kind !== 'mongodb') throw new Error('expected a MongoDB migration');
    expect([...second.existing].sort()).toEqual([...first.created].sort());
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
