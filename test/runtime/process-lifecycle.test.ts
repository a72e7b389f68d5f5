import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { startSlowRequest } from '../helpers/slow-request.ts';
import { PATIENCE_MS } from '../helpers/patience.ts';
import { runTesseraExpectingFailure, spawnTessera, waitFor } from '../helpers/tessera-process.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

describe('the tessera process', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-process-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes an in-flight request after SIGTERM, then exits 0', async () => {
    const tessera = await spawnTessera({ TESSERA_DATA_DIR: dataDir, ...testSecrets() });
    // A request whose body arrives slowly is in flight when the signal lands, and finishes
    // once the process is shutting down.
    const slow = startSlowRequest(tessera.url);
    await slow.arrived;
    tessera.child.kill('SIGTERM');
    await waitFor(async () => (tessera.output().includes('shutting down') ? true : undefined));
    slow.finish();
    // No client authentication was sent: a protocol answer, not a dropped connection.
    expect(await slow.response).toBe(400);
    expect(await tessera.exited).toBe(0);
    expect(tessera.output()).toContain('shutting down');
  });

  /** Runs Tessera on a seconds-long schedule until it holds a retired generation, then stops it. */
  const runUntilRotated = async (secrets: Record<string, string>) => {
    const first = await spawnTessera({
      TESSERA_DATA_DIR: dataDir,
      ...secrets,
      TESSERA_JWKS_MAX_AGE: '1',
      TESSERA_KEY_POLL_INTERVAL: '1',
      TESSERA_KEY_ROTATION_INTERVAL: '3',
    });
    await vi.waitFor(
      async () => {
        const { keys } = (await (await fetch(`${first.url}/jwks`)).json()) as { keys: unknown[] };
        expect(keys.length).toBeGreaterThanOrEqual(6);
      },
      { timeout: PATIENCE_MS, interval: 250 },
    );
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  };
  const storedKeys = async () => {
    const storage = openSqliteStorage({ path: join(dataDir, 'tessera.sqlite') });
    try {
      return await storage.signingKeys.list();
    } finally {
      await storage.close();
    }
  };
  const servedKids = async (url: string) =>
    ((await (await fetch(`${url}/jwks`)).json()) as { keys: { kid: string }[] }).keys
      .map((key) => key.kid)
      .sort();

  it('keeps every signing key, current, next and retired, across a restart with the same key-encryption key', async () => {
    const secrets = testSecrets();
    await runUntilRotated(secrets);
    const stored = await storedKeys();
    expect(new Set(stored.map((key) => key.state))).toEqual(
      new Set(['current', 'next', 'retired']),
    );

    const second = await spawnTessera({ TESSERA_DATA_DIR: dataDir, ...secrets });
    expect(await servedKids(second.url)).toEqual(stored.map((key) => key.kid).sort());
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await storedKeys()).toEqual(stored);
  });

  it('refuses to start with the wrong key-encryption key and leaves every stored key intact', async () => {
    const secrets = testSecrets();
    await runUntilRotated(secrets);
    const stored = await storedKeys();

    const wrong = await runTesseraExpectingFailure({
      TESSERA_DATA_DIR: dataDir,
      ...secrets,
      TESSERA_KEY_ENCRYPTION_KEY: testSecrets().TESSERA_KEY_ENCRYPTION_KEY,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain(
      'TESSERA_KEY_ENCRYPTION_KEY is not the key they were encrypted with',
    );
    expect(await storedKeys()).toEqual(stored);

    const again = await spawnTessera({ TESSERA_DATA_DIR: dataDir, ...secrets });
    expect(await servedKids(again.url)).toEqual(stored.map((key) => key.kid).sort());
    again.child.kill('SIGTERM');
    await again.exited;
  });

  it('stops at an invalid variable with one line naming it and exit code 1', async () => {
    const result = await runTesseraExpectingFailure({ TESSERA_DATA_DIR: dataDir, PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.output.trim().split('\n')).toEqual([
      expect.stringContaining('PORT: invalid value'),
    ]);
  });

  it('stops at every invalid variable at once, one line each, with exit code 1', async () => {
    const result = await runTesseraExpectingFailure({
      TESSERA_DATA_DIR: dataDir,
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      TESSERA_GRANT_TTL: '60',
    });
    expect(result.code).toBe(1);
    expect(result.output.trim().split('\n')).toEqual([
      expect.stringMatching(/^tessera: configuration error: PORT: invalid value/),
      expect.stringMatching(/^tessera: configuration error: LOG_LEVEL: invalid value/),
      expect.stringMatching(/^tessera: configuration error: TESSERA_GRANT_TTL: must be at least/),
    ]);
  });

  it('refuses production with development defaults and says which variable to set', async () => {
    const result = await runTesseraExpectingFailure({
      TESSERA_DATA_DIR: dataDir,
      NODE_ENV: 'production',
      TESSERA_ISSUER: 'https://id.example.com',
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      'TESSERA_KEY_ENCRYPTION_KEY: required when NODE_ENV=production',
    );
  });
});
