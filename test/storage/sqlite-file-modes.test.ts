import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('the SQLite store on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'tessera-modes-'));
  const umask = process.umask();
  afterEach(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates its directories, database, -wal and -shm files for the owner only, whatever the umask', async () => {
    // The loosest umask: nothing is taken away from what the files are created with.
    process.umask(0);
    const dataDir = join(root, 'data', 'nested');
    const path = join(dataDir, 'tessera.sqlite');
    const storage = openSqliteStorage({ path });
    try {
      await storage.oidcModels.upsert('Grant', 'g1', { jti: 'g1' }, 60);
      expect(modeOf(join(root, 'data'))).toBe(0o700);
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(path)).toBe(0o600);
      expect(modeOf(`${path}-wal`)).toBe(0o600);
      expect(modeOf(`${path}-shm`)).toBe(0o600);
    } finally {
      await storage.close();
    }
  });
});
