import { randomBytes, timingSafeEqual } from 'node:crypto';

import type { Argon2Params, Argon2Pool } from './argon2-pool.ts';
import { parseImportedHash } from './imported-password-hashes.ts';
import { ARGON2_VERSION, formatArgon2Phc } from './phc-strings.ts';

/**
 * Hashes and verifies passwords; hashes are self-describing PHC strings: argon2id with
 * Tessera's settings, or one imported from another server (imported-password-hashes.ts), which
 * needsRehash reports so that the first successful sign-in replaces it.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant-time comparison; false for a malformed stored hash. */
  verify(storedHash: string, password: string): Promise<boolean>;
  /** True when the hash was made with other parameters than the configured ones. */
  needsRehash(storedHash: string): boolean;
  /**
   * Spends the time of one verification without an account to verify against, so that an
   * unknown username answers as slowly as a wrong password.
   */
  verifyDummy(password: string): Promise<void>;
}

const SALT_BYTES = 16;
const TAG_BYTES = 32;

interface ParsedHash extends Argon2Params {
  readonly salt: Buffer;
  readonly tag: Buffer;
}

// PHC string format (github.com/P-H-C/phc-string-format): base64 without padding. The reference
// implementation writes m,t,p in that order, the argon2 npm package sorts them; both parse.
const PHC = /^\$argon2id\$v=(\d+)\$([a-z]=\d+(?:,[a-z]=\d+)*)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export const formatArgon2Hash = (params: Argon2Params, salt: Uint8Array, tag: Uint8Array) =>
  formatArgon2Phc('argon2id', params, salt, tag);

export function parseArgon2Hash(hash: string): ParsedHash | undefined {
  const match = PHC.exec(hash);
  if (!match || Number(match[1]) !== ARGON2_VERSION) return undefined;
  const params = new Map(
    (match[2] as string).split(',').map((pair) => [pair[0], Number(pair.slice(2))] as const),
  );
  const [memoryKib, iterations, parallelism] = ['m', 't', 'p'].map((name) => params.get(name));
  if (memoryKib === undefined || iterations === undefined || parallelism === undefined) {
    return undefined;
  }
  const salt = Buffer.from(match[3] as string, 'base64');
  const tag = Buffer.from(match[4] as string, 'base64');
  if (salt.length < 8 || tag.length < 16) return undefined;
  return { memoryKib, iterations, parallelism, salt, tag };
}

/**
 * Passwords are normalised to NFC before hashing so that the same characters typed on different
 * systems (composed or decomposed accents) give the same hash (NIST SP 800-63B section 5.1.1.2).
 */
const normalise = (password: string) => password.normalize('NFC');

export function createPasswordHasher(deps: {
  readonly pool: Argon2Pool;
  readonly params: Argon2Params;
}): PasswordHasher {
  const { pool, params } = deps;
  const derive = (password: string, salt: Uint8Array, cost: Argon2Params, tagLength: number) =>
    pool.derive({ ...cost, message: normalise(password), nonce: salt, tagLength });

  return {
    async hash(password) {
      const salt = randomBytes(SALT_BYTES);
      return formatArgon2Hash(params, salt, await derive(password, salt, params, TAG_BYTES));
    },

    async verify(storedHash, password) {
      const parsed = parseArgon2Hash(storedHash);
      if (parsed) {
        const tag = await derive(password, parsed.salt, parsed, parsed.tag.length);
        return timingSafeEqual(tag, parsed.tag);
      }
      const imported = parseImportedHash(storedHash);
      if (imported) {
        const tag = await pool.derive({
          ...imported,
          message: normalise(password),
          nonce: imported.salt,
          tagLength: imported.tag.length,
        });
        return timingSafeEqual(tag, imported.tag);
      }
      // No usable hash (an account imported without one, UNUSABLE_PASSWORD_HASH): the same
      // work as a wrong password, so the answer's timing does not tell such accounts apart.
      await derive(password, randomBytes(SALT_BYTES), params, TAG_BYTES);
      return false;
    },

    needsRehash(storedHash) {
      const parsed = parseArgon2Hash(storedHash);
      return (
        !parsed ||
        parsed.memoryKib !== params.memoryKib ||
        parsed.iterations !== params.iterations ||
        parsed.parallelism !== params.parallelism
      );
    },

    async verifyDummy(password) {
      await derive(password, randomBytes(SALT_BYTES), params, TAG_BYTES);
    },
  };
}
