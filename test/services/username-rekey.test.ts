import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';

import { COLLECTIONS } from '../../adapters/mongodb/collections.ts';
import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { MIGRATIONS } from '../../adapters/sqlite/migrations.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/config.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { usernameKeyOf } from '../../src/services/account-rules.ts';
import { migrateStorage } from '../../src/storage/migrate-storage.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import { dropMongoDatabase, freshDatabaseName } from '../helpers/mongodb-storage.ts';
import { mongodbUri } from '../helpers/services.ts';
import { STORAGE_BACKENDS, type StorageBackend } from '../helpers/storage-backends.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

/** The username key of Tessera before RFC 8265's order (NFKC, lower-case, no NFC after). */
const oldKeyOf = (username: string) => username.trim().normalize('NFKC').toLowerCase();

/** Accounts an older Tessera stored: old keys, no skeleton; usernames it accepted. */
const LEGACY: readonly (readonly [id: string, username: string])[] = [
  ['acc_1', 'alice'],
  // A Cyrillic а: mixed scripts, refused today, but stored before; it looks like acc_1's.
  ['acc_2', '\u0430lice'],
  // Upper and lower case of one username, which the old key kept apart (lower-casing `H̱`
  // leaves `h` + U+0331 decomposed, while `ẖ` is one code point).
  ['acc_3', 'H\u0331ab'],
  ['acc_4', '\u1e96ab'],
  // Alone with such a key: the re-key changes it, and sign-in finds the account again.
  ['acc_5', 'H\u0331x'],
  ['acc_6', 'Bob'],
];

function legacyRecord(id: string, username: string) {
  return {
    id,
    username,
    usernameKey: oldKeyOf(username),
    emailVerified: false,
    disabled: false,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA',
    createdAt: 1,
    updatedAt: 1,
    version: 1,
  };
}

/** A SQLite file at the schema before username skeletons, holding the LEGACY accounts. */
function seedSqlite(dir: string): Config {
  const config = loadConfig({ TESSERA_DATA_DIR: dir, ...testSecrets() });
  if (config.storage.kind !== 'sqlite') throw new Error('expected SQLite');
  const db = new DatabaseSync(config.storage.path);
  const previous = MIGRATIONS.findIndex((step) => step.includes('username_skeleton'));
  for (const step of MIGRATIONS.slice(0, previous)) db.exec(step);
  db.exec(`PRAGMA user_version = ${previous}`);
  const insert = db.prepare(
    'INSERT INTO accounts (id, username_key, search_text, version, record) VALUES (?, ?, ?, 1, ?)',
  );
  for (const [id, username] of LEGACY) {
    const record = legacyRecord(id, username);
    insert.run(id, record.usernameKey, username.toLowerCase(), JSON.stringify(record));
  }
  db.close();
  return config;
}

/** A MongoDB database holding the LEGACY accounts as an older Tessera wrote them. */
async function seedMongo(dir: string, dbName: string): Promise<Config> {
  const client = createMongoClient(mongodbUri());
  try {
    await client
      .db(dbName)
      .collection(COLLECTIONS.accounts)
      .insertMany(
        LEGACY.map(([id, username]) => {
          const record = legacyRecord(id, username);
          return {
            _id: id as never,
            usernameKey: record.usernameKey,
            searchText: username.toLowerCase(),
            version: 1,
            record: JSON.stringify(record),
          };
        }),
      );
  } finally {
    await client.close();
  }
  return loadConfig({
    TESSERA_DATA_DIR: dir,
    MONGODB_URI: mongodbUri(),
    MONGODB_DB: dbName,
    ...testSecrets(),
  });
}

describe.each(STORAGE_BACKENDS)(
  'username re-key of accounts stored by an older Tessera (%s)',
  (backend: StorageBackend) => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-rekey-'));
    const dbName = freshDatabaseName();
    afterAll(async () => {
      if (backend === 'mongodb') await dropMongoDatabase(mongodbUri(), dbName);
      rmSync(dir, { recursive: true, force: true });
    });

    let config: Config;
    const withStorage = async <T>(use: (storage: Storage) => Promise<T>): Promise<T> => {
      const storage = await openStorage(config, { logger: pino({ level: 'silent' }) });
      try {
        return await use(storage);
      } finally {
        await storage.close();
      }
    };

    it('gives every account its key and skeleton, and reports the collisions instead of merging', async () => {
      config = backend === 'sqlite' ? seedSqlite(dir) : await seedMongo(dir, dbName);
      const report = await migrateStorage(config);
      expect(report.usernames).toEqual({
        checked: 6,
        rekeyed: 4,
        collisions: [
          { accountId: 'acc_2', conflictsWith: 'acc_1', kind: 'confusable' },
          { accountId: 'acc_3', conflictsWith: 'acc_4', kind: 'same_username' },
        ],
      });
      await withStorage(async (storage) => {
        // The colliding accounts are both still there, unchanged but for what the report says.
        expect((await storage.accounts.get('acc_2'))?.usernameSkeleton).toBeUndefined();
        const acc3 = await storage.accounts.get('acc_3');
        expect(acc3).toMatchObject({ usernameKey: oldKeyOf('H\u0331ab'), version: 1 });
        expect(acc3?.usernameSkeleton).toBeUndefined();
        expect(await storage.accounts.get('acc_1')).toMatchObject({
          usernameKey: 'alice',
          usernameSkeleton: 'allce',
          version: 2,
        });
        // Sign-in looks up today's key: acc_5 is found again under its re-keyed username.
        expect(oldKeyOf('H\u0331x')).not.toBe(usernameKeyOf('H\u0331x'));
        expect((await storage.accounts.getByUsernameKey(usernameKeyOf('H\u0331x')))?.id).toBe(
          'acc_5',
        );
        expect((await storage.accounts.getByUsernameKey(usernameKeyOf('bob')))?.id).toBe('acc_6');
      });
    });

    it('reports the same collisions on the next run and changes nothing else', async () => {
      const report = await migrateStorage(config);
      expect(report.usernames).toEqual({
        checked: 2,
        rekeyed: 0,
        collisions: [
          { accountId: 'acc_2', conflictsWith: 'acc_1', kind: 'confusable' },
          { accountId: 'acc_3', conflictsWith: 'acc_4', kind: 'same_username' },
        ],
      });
      await withStorage(async (storage) => {
        expect((await storage.accounts.get('acc_1'))?.version).toBe(2);
      });
    });
  },
);
