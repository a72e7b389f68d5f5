import { AppError } from '../app-error.ts';
import type { PasswordDerivation } from './argon2-pool.ts';
import { formatArgon2Phc, phcBase64 } from './phc-strings.ts';

/**
 * Password hashes made by another server (Keycloak's pbkdf2-sha256, pbkdf2-sha512 and argon2),
 * imported with their account so that users keep their passwords (docs/keycloak-import.md).
 * They are verified once, at the user's first successful sign-in, and replaced then by an
 * argon2id hash with Tessera's settings (authenticator.ts `rehashed`).
 *
 * Stored self-describing, in the PHC string format like Tessera's own hashes, base64 without
 * padding: `$pbkdf2-sha256$i=<count>$<salt>$<hash>` (the form passlib and others write), and
 * argon2 in its reference form `$argon2i$v=19$m=..,t=..,p=..$<salt>$<hash>`.
 */
export interface ImportedPasswordHash {
  readonly algorithm: PasswordDerivation;
  readonly iterations: number;
  /** argon2 only (KiB). */
  readonly memoryKib?: number | undefined;
  /** argon2 only. */
  readonly parallelism?: number | undefined;
  /** base64 (standard or url alphabet, padding optional). */
  readonly salt: string;
  readonly hash: string;
}

export interface ParsedImportedHash {
  readonly algorithm: PasswordDerivation;
  readonly iterations: number;
  readonly memoryKib: number;
  readonly parallelism: number;
  readonly salt: Buffer;
  readonly tag: Buffer;
}

/**
 * What an import file may ask of a sign-in, so that it cannot make one a denial of service:
 * above Keycloak's defaults (pbkdf2-sha256 600 000, pbkdf2-sha512 210 000 iterations; argon2
 * 7 MiB, 5 passes, 1 lane), far below what would hold a worker for long. Each verification
 * runs on the bounded worker pool (argon2-pool.ts), never on the event loop.
 */
export const IMPORTED_HASH_LIMITS = {
  pbkdf2Iterations: { min: 1000, max: 1_000_000 },
  argon2Iterations: { min: 1, max: 10 },
  argon2MemoryKib: { min: 1024, max: 65_536 },
  argon2Parallelism: { min: 1, max: 4 },
  saltBytes: { min: 8, max: 64 },
  hashBytes: { min: 16, max: 64 },
} as const;

/** Stored for an account imported without a usable password: nothing verifies against it. */
export const UNUSABLE_PASSWORD_HASH = '$unusable$';

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

type Range = { readonly min: number; readonly max: number };
const within = (value: number, range: Range) =>
  Number.isInteger(value) && value >= range.min && value <= range.max;

function refuse(field: string, message: string): never {
  throw new AppError('validation_failed', `password_hash.${field} ${message}`, {
    field: `password_hash.${field}`,
  });
}

function decode(field: 'salt' | 'hash', text: string, range: Range): Buffer {
  if (!BASE64.test(text)) refuse(field, 'must be base64');
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!within(bytes.length, range)) {
    refuse(field, `must decode to ${range.min} to ${range.max} bytes`);
  }
  return bytes;
}

function checkRange(field: string, value: number | undefined, range: Range): number {
  if (value === undefined || !within(value, range)) {
    refuse(field, `must be an integer from ${range.min} to ${range.max}`);
  }
  return value;
}

/**
 * The stored form of an imported hash, after checking every parameter against
 * IMPORTED_HASH_LIMITS; AppError `validation_failed` naming the field otherwise.
 */
export function formatImportedHash(input: ImportedPasswordHash): string {
  const limits = IMPORTED_HASH_LIMITS;
  const salt = decode('salt', input.salt, limits.saltBytes);
  const tag = decode('hash', input.hash, limits.hashBytes);
  if (input.algorithm === 'pbkdf2-sha256' || input.algorithm === 'pbkdf2-sha512') {
    const i = checkRange('iterations', input.iterations, limits.pbkdf2Iterations);
    return `$${input.algorithm}$i=${i}$${phcBase64(salt)}$${phcBase64(tag)}`;
  }
  const t = checkRange('iterations', input.iterations, limits.argon2Iterations);
  const m = checkRange('memory_kib', input.memoryKib, limits.argon2MemoryKib);
  const p = checkRange('parallelism', input.parallelism, limits.argon2Parallelism);
  // RFC 9106 section 3.1: at least 8 KiB per lane.
  if (m < 8 * p) refuse('memory_kib', 'must be at least 8 KiB per lane');
  const params = { memoryKib: m, iterations: t, parallelism: p };
  return formatArgon2Phc(input.algorithm, params, salt, tag);
}

const PBKDF2 = /^\$(pbkdf2-sha256|pbkdf2-sha512)\$i=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const ARGON2 =
  /^\$(argon2i|argon2d|argon2id)\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * Reads a stored imported pbkdf2, argon2i or argon2d hash; undefined for anything else, or one
 * outside the limits (checked again, so that nothing written around the admin API exceeds
 * them). An imported argon2id hash has the form of Tessera's own and is read by
 * parseArgon2Hash (password-hasher.ts): only the import bounds it.
 */
export function parseImportedHash(stored: string): ParsedImportedHash | undefined {
  const limits = IMPORTED_HASH_LIMITS;
  const pbkdf2 = PBKDF2.exec(stored);
  const argon2 = pbkdf2 ? undefined : ARGON2.exec(stored);
  const [algorithm, iterations, memoryKib, parallelism, salt, tag] = pbkdf2
    ? [pbkdf2[1], Number(pbkdf2[2]), 0, 0, pbkdf2[3], pbkdf2[4]]
    : argon2
      ? [argon2[1], Number(argon2[3]), Number(argon2[2]), Number(argon2[4]), argon2[5], argon2[6]]
      : [];
  if (algorithm === undefined || salt === undefined || tag === undefined) return undefined;
  const parsed: ParsedImportedHash = {
    algorithm: algorithm as PasswordDerivation,
    iterations: iterations as number,
    memoryKib: memoryKib as number,
    parallelism: parallelism as number,
    salt: Buffer.from(salt, 'base64'),
    tag: Buffer.from(tag, 'base64'),
  };
  const costOk = pbkdf2
    ? within(parsed.iterations, limits.pbkdf2Iterations)
    : within(parsed.iterations, limits.argon2Iterations) &&
      within(parsed.memoryKib, limits.argon2MemoryKib) &&
      within(parsed.parallelism, limits.argon2Parallelism) &&
      parsed.memoryKib >= 8 * parsed.parallelism;
  const sizesOk =
    within(parsed.salt.length, limits.saltBytes) && within(parsed.tag.length, limits.hashBytes);
  return costOk && sizesOk ? parsed : undefined;
}
