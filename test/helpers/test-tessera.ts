import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../../src/config/load-config.ts';
import { startTessera, type Tessera, type TesseraOptions } from '../../src/compose.ts';
import { createCapturedLogger } from './captured-logger.ts';

export interface TestTessera {
  readonly tessera: Tessera;
  readonly issuer: string;
  readonly dataDir: string;
  /** Every log line the instance wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** The cheapest argon2id the configuration accepts, for tests that sign people in often. */
export const CHEAP_ARGON2 = { TESSERA_ARGON2_MEMORY_KIB: '7168', TESSERA_ARGON2_ITERATIONS: '1' };

export const testSecrets = () => ({
  TESSERA_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  TESSERA_COOKIE_KEYS: randomBytes(32).toString('base64url'),
  TESSERA_SECRET_PEPPER: randomBytes(32).toString('base64url'),
});

/**
 * A real Tessera on an ephemeral loopback port with its own temp data dir and a captured log.
 * `env` overrides the configuration exactly as environment variables would.
 */
export async function startTestTessera(
  env: Record<string, string> = {},
  options: Omit<TesseraOptions, 'logger'> = {},
): Promise<TestTessera> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const config = loadConfig({
    PORT: '0',
    TESSERA_DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    ...testSecrets(),
    ...env,
  });
  const { logger, lines: logs } = createCapturedLogger(config.log.level);
  const tessera = await startTessera(config, { ...options, logger });
  return {
    tessera,
    issuer: tessera.issuer,
    dataDir,
    logs,
    async stop() {
      await tessera.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
