import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const devSecretsSchema = z.object({
  keyEncryptionKey: z.string(),
  cookieKeys: z.array(z.string()).min(1),
  secretPepper: z.string(),
});

export type DevSecrets = z.infer<typeof devSecretsSchema>;

const FILE_NAME = 'dev-secrets.json';

/**
 * Development-only secrets, generated once into the data dir (mode 0600) so that a restart keeps
 * signing keys decryptable, sessions valid and client secrets verifiable. Production refuses
 * these (see load-config.ts); they exist so `npm start` works with no configuration.
 */
export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const path = join(dataDir, FILE_NAME);
  try {
    return devSecretsSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    if (!isMissingFile(error)) {
      throw new Error(`${path} is unreadable or malformed; remove it to regenerate dev secrets`, {
        cause: error,
      });
    }
  }
  const secrets: DevSecrets = {
    keyEncryptionKey: randomBytes(32).toString('base64url'),
    cookieKeys: [randomBytes(32).toString('base64url')],
    secretPepper: randomBytes(32).toString('base64url'),
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateDevSecrets(dataDir);
    throw error;
  }
  return secrets;
}

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
