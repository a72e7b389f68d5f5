import { join } from 'node:path';

import { pino, type Logger } from 'pino';

import { createKeyEncrypter, KeyDecryptionError } from '../../keys/key-encryption.ts';
import { generateKeyGeneration } from '../../keys/generate-key-generation.ts';
import { buildSigningKeyRing, type SigningKeyRing } from '../../keys/signing-key-ring.ts';
import type { Config } from '../config/config.ts';
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { createLogger } from '../logging/create-logger.ts';
import type { Storage } from '../ports/storage.ts';
import { AppError } from '../services/app-error.ts';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';

/**
 * The server's configuration, from the same environment (`loadConfig(process.env)`). Only
 * `tessera init` and `tessera migrate` read it; every other command goes through the admin API.
 */
export function loadCliConfig(io: CliIo): Config {
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // One line per invalid variable, each prefixed like the first (the CLI prints "tessera: ").
      const lines = error.problems.map((p) => `configuration error: ${p.variable}: ${p.message}`);
      throw new CliError(lines.join('\ntessera: '));
    }
    throw error;
  }
  if (config.devDefaults.length > 0) {
    io.stderr.write(
      `Using development secrets from ${join(config.dataDir, 'dev-secrets.json')} ` +
        `(${config.devDefaults.join(', ')} not set); the server must run with the same environment.\n`,
    );
  }
  return config;
}

/** The services' own log in a CLI run: real trouble only, on stderr (stdout is the output). */
export const cliLogger = (): Logger => createLogger('error', pino.destination(2));

/** Runs `work` against the store the server uses, and closes it afterwards. */
export async function withStore<T>(
  io: CliIo,
  work: (config: Config, storage: Storage) => Promise<T>,
): Promise<T> {
  const config = loadCliConfig(io);
  // Loaded lazily: only the store commands need the storage adapters.
  const { openStorage } = await import('../storage/open-storage.ts');
  let storage: Storage;
  try {
    storage = await openStorage(config, { logger: cliLogger() });
  } catch (error) {
    throw new CliError(`cannot open the store: ${(error as Error).message}`);
  }
  try {
    return await work(config, storage);
  } catch (error) {
    if (error instanceof AppError) {
      throw new CliError(`${error.message}${error.field ? ` [${error.field}]` : ''}`);
    }
    if (error instanceof KeyDecryptionError) {
      throw new CliError(
        `cannot decrypt the stored signing keys: TESSERA_KEY_ENCRYPTION_KEY is not the server's (${error.message})`,
      );
    }
    throw error;
  } finally {
    await storage.close();
  }
}

/**
 * The stored signing keys, decrypted the way the server does (so a different key-encryption
 * key is caught), without creating or changing any. Before the server first ran there are none;
 * oidc-provider's client validation still needs to see RS256 and ES256 keys (it only allows
 * `*_signed_response_alg` values its key set can serve), so a throwaway in-memory generation
 * stands in. Nothing is ever signed with it.
 */
export async function readKeyRing(config: Config, storage: Storage): Promise<SigningKeyRing> {
  const encrypter = createKeyEncrypter(config.secrets.keyEncryptionKey);
  const stored = buildSigningKeyRing(await storage.signingKeys.list(), encrypter);
  if (stored.records.some((record) => record.state === 'current')) return stored;
  return buildSigningKeyRing(
    await generateKeyGeneration(encrypter, 'current', Date.now()),
    encrypter,
  );
}
