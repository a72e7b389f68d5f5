import { randomUUID } from 'node:crypto';

import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MongoStorage } from '../../adapters/mongodb/open-mongodb-storage.ts';
import type { ServerCapabilities } from '../../adapters/mongodb/server-profile.ts';
import { freshDatabaseName, openTestMongoStorage } from '../helpers/mongodb-storage.ts';

/** The storage paths a server takes, named as the README's "CI" section names them. */
const storagePathsOf = (capabilities: ServerCapabilities): string[] => [
  capabilities.transactions ? 'transactions' : 'settle rule',
  capabilities.atomicConditionalUpdates ? 'atomic conditional updates' : 'document locks',
  capabilities.ttlIndexes ? 'TTL indexes' : 'periodic prune',
];

/** FerretDB 1.24, the suite's own test server, lacks all three (docs/mongodb-storage.md). */
const FERRETDB_PATHS = ['settle rule', 'document locks', 'periodic prune'];

// Which MongoDB paths this run exercises depends on the server it runs against: CI names what
// it expects in TESSERA_TEST_MONGODB_PATHS (.github/workflows/ci.yml, .ci/run), so that a change
// of its MongoDB service fails here instead of silently leaving a path untested.
describe('the MongoDB server this run tests against', () => {
  const dbName = freshDatabaseName();
  let storage: MongoStorage;
  let capabilities: ServerCapabilities;
  const commands: CommandStartedEvent[] = [];
  const commandsDuring = async (work: () => Promise<unknown>) => {
    commands.length = 0;
    await work();
    return commands.map(({ commandName, command }) => ({
      commandName,
      collection: String(command[commandName]),
    }));
  };

  beforeAll(async () => {
    storage = await openTestMongoStorage({
      dbName,
      ttl: true,
      onCommand: (event) => commands.push(event),
    });
    capabilities = storage.capabilities;
  });
  afterAll(() => storage?.close());

  it('is detected once, and names the storage paths the MongoDB tests take on it', () => {
    const paths = storagePathsOf(capabilities);
    console.info(`MongoDB tests run on ${capabilities.server}: ${paths.join(', ')}`);
    const declared = process.env['TESSERA_TEST_MONGODB_PATHS'];
    if (declared !== undefined) expect(paths.join(', ')).toBe(declared);
    if (capabilities.server.startsWith('FerretDB')) expect(paths).toEqual(FERRETDB_PATHS);
  });

  it('writes a change and its event in one transaction, or the event first by the settle rule', async () => {
    const event = {
      id: randomUUID(),
      type: 'tessera.test.profile',
      source: 'https://id.example.com',
      subject: 'jti-profile',
      time: new Date().toISOString(),
      data: {},
      key: 'jti-profile',
    };
    const sent = await commandsDuring(() =>
      storage.revokedJwts.add(
        { jti: 'jti-profile', exp: Math.floor(Date.now() / 1000) + 600 },
        { events: [event] },
      ),
    );
    const change = sent.findIndex(
      (c) => c.commandName === 'insert' && c.collection === 'revoked_jwts',
    );
    const appended = sent.findIndex((c) => c.commandName === 'update' && c.collection === 'outbox');
    expect(change).toBeGreaterThanOrEqual(0);
    expect(appended).toBeGreaterThanOrEqual(0);
    if (capabilities.transactions) {
      expect(appended).toBeGreaterThan(change);
      expect(sent.map((c) => c.commandName)).toContain('commitTransaction');
    } else {
      expect(appended).toBeLessThan(change);
      expect(sent.map((c) => c.commandName)).not.toContain('commitTransaction');
    }
  });

  it('makes a compare-and-set with the filter alone, or under a document lock', async () => {
    const sent = await commandsDuring(() => storage.leases.acquire('profile', 'me', 60_000));
    const locked = sent.some(
      (c) => c.commandName === 'insert' && c.collection === 'document_locks',
    );
    expect(locked).toBe(!capabilities.atomicConditionalUpdates);
  });

  it('expires records by a TTL index, or gives the prune a plain expiresAt index', async () => {
    const indexes = storage.client.db(dbName).collection('oidc_access_tokens').listIndexes();
    const names = (await indexes.toArray()).map((index) => index['name'] as string);
    expect(names).toContain(capabilities.ttlIndexes ? 'expiresAt_ttl' : 'expiresAt');
  });
});
