import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { startTessera } from '../../src/compose.ts';
import { createCapturedLogger } from '../helpers/captured-logger.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

/** Listens on `port` and closes again; rejects when the port is still taken. */
function listenOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** A loopback port nothing listens on right now. */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('a Tessera that fails to start', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-startup-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops listening and leaves a store it was given open when a later step fails', async () => {
    const raw = openSqliteStorage({ path: join(dataDir, 'tessera.sqlite') });
    // The data migrations run after the server listens and the argon2 pool exists.
    const storage = {
      ...raw,
      dataMigrations: {
        completed: () => Promise.reject(new Error('migration record unreadable')),
        markCompleted: (name: string, at: number) => raw.dataMigrations.markCompleted(name, at),
      },
    };
    const port = await unusedPort();
    const config = loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      TESSERA_DATA_DIR: dataDir,
      ...testSecrets(),
    });
    const { logger } = createCapturedLogger('info');
    try {
      await expect(startTessera(config, { logger, storage })).rejects.toThrow(
        'migration record unreadable',
      );
      await expect(listenOnce(port)).resolves.toBeUndefined();
      // The caller's store is the caller's to close.
      await expect(raw.ping()).resolves.toBeUndefined();
    } finally {
      await raw.close();
    }
  });
});
