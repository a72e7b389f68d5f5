import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { describeStorageContract } from './storage.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-contract-'));
let counter = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const paths = new WeakMap<Storage, string>();

// A file, not :memory:, so WAL mode and the real on-disk paths are what the contract exercises.
describeStorageContract('sqlite', async (clock, sharing) => {
  const path = (sharing && paths.get(sharing)) ?? join(dir, `store-${(counter += 1)}.sqlite`);
  const storage = openSqliteStorage({ path, clock });
  paths.set(storage, path);
  return storage;
});
