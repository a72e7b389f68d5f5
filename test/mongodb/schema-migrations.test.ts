import { MongoServerError, type Collection, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClientRecord } from '../../src/ports/clients.ts';
import { COLLECTIONS } from '../../adapters/mongodb/collections.ts';
import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { MONGODB_MIGRATIONS } from '../../adapters/mongodb/migrations.ts';
import { migrateMongoDatabase } from '../../adapters/mongodb/run-migrations.ts';
import { detectServerCapabilities } from '../../adapters/mongodb/server-profile.ts';
import {
  dropMongoDatabase,
  freshDatabaseName,
  openTestMongoStorage,
} from '../helpers/mongodb-storage.ts';
import { mongodbUri } from '../helpers/services.ts';

const ALL_STEPS = [
  '1 lookup and uniqueness indexes',
  '2 expiry indexes',
  '3 accountId on grants and sessions',
  '4 clientId on client-bound models',
  '5 account factors by account',
  '6 config keys unique',
];

describe('MongoDB schema migrations', () => {
  let client: MongoClient;
  const databases: string[] = [];
  const freshDb = () => {
    const dbName = freshDatabaseName();
    databases.push(dbName);
    return client.db(dbName);
  };
  const recordedSteps = async (dbName: string) =>
    (
      await client
        .db(dbName)
        .collection(COLLECTIONS.schemaMigrations)
        .find({}, { sort: { _id: 1 } })
        .toArray()
    ).map((document) => `${String(document._id)} ${String(document['name'])}`);
  /** A Grant as a Tessera before the lookup fields wrote it: no top-level accountId or clientId. */
  const olderGrant = (id: string) => ({
    _id: id,
    payload: JSON.stringify({ jti: id, accountId: 'u1', clientId: 'c1' }),
    grantId: null,
    uid: null,
    userCode: null,
    expiresAt: null,
  });

  beforeAll(() => {
    client = createMongoClient(mongodbUri());
  });
  afterAll(async () => {
    for (const dbName of databases) await dropMongoDatabase(mongodbUri(), dbName);
    await client.close();
  });

  it('numbers its steps 1, 2, 3… in the order they run', () => {
    expect(MONGODB_MIGRATIONS.map((step) => `${step.version} ${step.name}`)).toEqual(ALL_STEPS);
  });

  it('records every step it applies, and applies none a second time', async () => {
    const db = freshDb();
    const first = await migrateMongoDatabase(db, { ttl: false });
    expect(first.applied).toEqual(ALL_STEPS);
    expect(await recordedSteps(db.databaseName)).toEqual(ALL_STEPS);
    expect(await migrateMongoDatabase(db, { ttl: false })).toMatchObject({
      applied: [],
      created: [],
      existing: [],
    });
  });

  it('finds the indexes of a database an older Tessera set up, and records the steps without creating any', async () => {
    const db = freshDb();
    const first = await migrateMongoDatabase(db, { ttl: false });
    // As before schema steps were recorded: the indexes are there, the record is not.
    await db.collection(COLLECTIONS.schemaMigrations).drop();
    const upgrade = await migrateMongoDatabase(db, { ttl: false });
    expect(upgrade.applied).toEqual(ALL_STEPS);
    expect(upgrade.created).toEqual([]);
    expect([...upgrade.existing].sort()).toEqual([...first.created].sort());
  });

  it('remembers that the server refused TTL indexes and says so on every later run', async () => {
    const db = freshDb();
    // A server that claims TTL indexes but refuses them when asked (code 238, NotImplemented).
    const refusingTtl = new Proxy(db, {
      get(target, property, receiver) {
        if (property !== 'collection') return Reflect.get(target, property, receiver) as unknown;
        return (name: string) => {
          const collection = target.collection(name);
          return new Proxy(collection, {
            get(inner, key, innerReceiver) {
              if (key !== 'createIndex') return Reflect.get(inner, key, innerReceiver) as unknown;
              return (...args: Parameters<Collection['createIndex']>) => {
                if (args[1]?.expireAfterSeconds !== undefined) {
                  return Promise.reject(new MongoServerError({ code: 238, errmsg: 'no TTL' }));
                }
                return inner.createIndex(...args);
              };
            },
          });
        };
      },
    });
    const capabilities = { ...(await detectServerCapabilities(db)), ttlIndexes: true };
    const first = await migrateMongoDatabase(refusingTtl, { capabilities });
    expect(first).toMatchObject({ ttlUnsupported: true });
    expect(first.created).toContain('oidc_access_tokens.expiresAt');
    const later = await migrateMongoDatabase(refusingTtl, { capabilities });
    expect(later).toMatchObject({ applied: [], ttlUnsupported: true });
  });

  it('applies each step once when two replicas migrate a fresh database at the same time', async () => {
    const db = freshDb();
    const both = await Promise.all([
      migrateMongoDatabase(db, { ttl: false }),
      migrateMongoDatabase(db, { ttl: false }),
    ]);
    expect(both.flatMap((report) => report.applied).length).toBeGreaterThanOrEqual(4);
    expect(await recordedSteps(db.databaseName)).toEqual(ALL_STEPS);
    // Every index is there: run the steps once more, and each finds all of its own.
    await db.collection(COLLECTIONS.schemaMigrations).drop();
    expect(await migrateMongoDatabase(db, { ttl: false })).toMatchObject({ created: [] });
  });

  it('keeps a config key recorded twice before it was unique on the oldest client and detaches the later one', async () => {
    const db = freshDb();
    await migrateMongoDatabase(db, { ttl: false });
    // Back to before step 6: no unique index, and records that keep the key only in their JSON.
    for (const collection of [COLLECTIONS.clients, COLLECTIONS.resourceServers]) {
      await db.collection(collection).dropIndex('configKey_unique');
    }
    await db.collection(COLLECTIONS.schemaMigrations).deleteOne({ _id: 6 } as never);
    const legacy = (clientId: string, createdAt: number) => ({
      _id: clientId,
      version: 1,
      record: JSON.stringify({
        clientId,
        name: clientId,
        metadata: {},
        secrets: [],
        createdAt,
        updatedAt: createdAt,
        version: 1,
        configKey: 'web',
      }),
    });
    await db
      .collection<{ _id: string }>(COLLECTIONS.clients)
      .insertMany([legacy('cl_later', 20), legacy('cl_first', 10)]);

    const report = await migrateMongoDatabase(db, { ttl: false });
    expect(report).toMatchObject({ applied: ['6 config keys unique'], backfilled: 2 });
    const storage = await openTestMongoStorage({ dbName: db.databaseName });
    try {
      expect(await storage.clients.get('cl_first')).toMatchObject({ configKey: 'web', version: 1 });
      const detached = await storage.clients.get('cl_later');
      expect(detached).toMatchObject({ version: 2 });
      expect(detached).not.toHaveProperty('configKey');
      expect(
        await storage.clients.insert({
          ...(detached as ClientRecord),
          clientId: 'cl_new',
          configKey: 'web',
        }),
      ).toBe(false);
    } finally {
      await storage.close();
    }
  });

  it('gives what an older replica writes during a rolling upgrade its lookup fields at the next run', async () => {
    const db = freshDb();
    await migrateMongoDatabase(db, { ttl: false });
    // A replica of the previous version, still serving, stores a grant after the migration.
    await db.collection<{ _id: string }>('oidc_grants').insertOne(olderGrant('g_late'));
    const next = await migrateMongoDatabase(db, { ttl: false });
    // accountId and clientId on the one grant; no step applied anew.
    expect(next).toMatchObject({ applied: [], backfilled: 2 });
    const storage = await openTestMongoStorage({ dbName: db.databaseName });
    try {
      const ofAccount = await storage.oidcModels.findByAccountId('Grant', 'u1');
      expect(ofAccount.map((payload) => payload['jti'])).toEqual(['g_late']);
      const ofClient = await storage.oidcModels.findByClientId('Grant', 'c1');
      expect(ofClient.map((payload) => payload['jti'])).toEqual(['g_late']);
    } finally {
      await storage.close();
    }
  });
});
