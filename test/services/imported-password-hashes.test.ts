import { argon2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { passwordOf } from '../../src/cli/keycloak/keycloak-credentials.ts';
import { parseKeycloakRealm } from '../../src/cli/keycloak/keycloak-realm.ts';
import { AppError } from '../../src/services/app-error.ts';
import { createArgon2Pool, type Argon2Pool } from '../../src/services/passwords/argon2-pool.ts';
import {
  formatImportedHash,
  parseImportedHash,
  UNUSABLE_PASSWORD_HASH,
  type ImportedPasswordHash,
} from '../../src/services/passwords/imported-password-hashes.ts';
import { createPasswordHasher } from '../../src/services/passwords/password-hasher.ts';

// The real export made by scripts/keycloak/make-realm-export.sh (Keycloak 26.7.3).
const EXPORT = resolve(import.meta.dirname, '../fixtures/keycloak/realm-export.json');
const realm = parseKeycloakRealm(EXPORT, readFileSync(EXPORT, 'utf8'));

/** The stored form of a user's Keycloak password hash, as the admin API would store it. */
function importedHashOf(username: string): string {
  const user = realm.users?.find((candidate) => candidate.username === username);
  const outcome = passwordOf(user?.credentials ?? []);
  if (outcome.kind !== 'hash') throw new Error(`${username}: ${outcome.reason}`);
  const { memory_kib: memoryKib, ...rest } = outcome.body;
  return formatImportedHash({ ...rest, memoryKib });
}

const PASSWORD_OF_ALICE = 'Correct-Horse-Battery-1';
const COST = { memoryKib: 7168, iterations: 1, parallelism: 1 };

describe('password hashes imported from Keycloak', () => {
  const pool = createArgon2Pool({ workers: 1, maxQueued: 8 });
  const hasher = createPasswordHasher({ pool, params: COST });
  afterAll(() => pool.close());

  it.each([
    ['alice', 'pbkdf2-sha256', PASSWORD_OF_ALICE],
    ['bob', 'pbkdf2-sha512', 'Sha512-Bob-Password-2'],
    ['carol', 'argon2id', 'Argon2-Carol-Password-3'],
  ])(
    'verifies %s’s %s hash with the right password only',
    async (username, algorithm, password) => {
      const stored = importedHashOf(username);
      expect(stored.startsWith(`$${algorithm}$`)).toBe(true);
      expect(await hasher.verify(stored, password)).toBe(true);
      expect(await hasher.verify(stored, `${password}x`)).toBe(false);
    },
  );

  it.each(['argon2i', 'argon2d'] as const)(
    'verifies an imported %s hash (Keycloak’s other argon2 types) on the workers',
    async (algorithm) => {
      const salt = randomBytes(16);
      const cost = { memory: 1024, passes: 2, parallelism: 1, tagLength: 32 };
      const tag = argon2Sync(algorithm, { message: 'typed by a person', nonce: salt, ...cost });
      const stored = formatImportedHash({
        algorithm,
        iterations: cost.passes,
        memoryKib: cost.memory,
        parallelism: cost.parallelism,
        salt: salt.toString('base64'),
        hash: tag.toString('base64'),
      });
      expect(await hasher.verify(stored, 'typed by a person')).toBe(true);
      expect(await hasher.verify(stored, 'typed by a robot')).toBe(false);
      expect(hasher.needsRehash(stored)).toBe(true);
    },
  );

  it('asks for every imported hash to be replaced by an argon2id one', () => {
    for (const username of ['alice', 'bob', 'carol']) {
      expect(hasher.needsRehash(importedHashOf(username))).toBe(true);
    }
  });

  it('reports pbkdf2 with SHA-1 as an algorithm Tessera does not accept', () => {
    const frank = realm.users?.find((user) => user.username === 'frank');
    expect(passwordOf(frank?.credentials ?? [])).toEqual({
      kind: 'none',
      reason: 'password hashed with pbkdf2, which Tessera does not accept',
    });
  });

  const valid: ImportedPasswordHash = {
    algorithm: 'argon2id',
    iterations: 5,
    memoryKib: 7168,
    parallelism: 1,
    salt: 'c2FsdHNhbHRzYWx0c2FsdA==',
    hash: 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=',
  };
  it.each([
    ['password_hash.iterations', { algorithm: 'pbkdf2-sha256', iterations: 100_000_000 }],
    ['password_hash.iterations', { iterations: 1000 }],
    ['password_hash.memory_kib', { memoryKib: 4_194_304 }],
    ['password_hash.memory_kib', { memoryKib: undefined }],
    ['password_hash.parallelism', { parallelism: 64 }],
    ['password_hash.salt', { salt: 'c2FsdA==' }],
    ['password_hash.hash', { hash: 'not base64!' }],
  ] as const)('refuses a hash whose cost or sizes are out of bounds (%s)', (field, change) => {
    const attempt = () => formatImportedHash({ ...valid, ...change });
    expect(attempt).toThrow(AppError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'validation_failed', field }));
  });

  it('does not verify a stored hash beyond the bounds, however it got there', async () => {
    const stored = formatImportedHash({ ...valid, algorithm: 'pbkdf2-sha256', iterations: 1000 });
    expect(parseImportedHash(stored)).toBeDefined();
    expect(parseImportedHash(stored.replace('i=1000', 'i=50000000'))).toBeUndefined();
  });

  /** A hasher on the same pool that records the derivations it hands to the workers. */
  const countingHasher = () => {
    const derived: string[] = [];
    const counting: Argon2Pool = {
      ...pool,
      derive: (task) => {
        derived.push(task.algorithm ?? 'argon2id');
        return pool.derive(task);
      },
    };
    return { derived, hasher: createPasswordHasher({ pool: counting, params: COST }) };
  };

  it('derives imported pbkdf2 hashes on the worker pool, off the event loop', async () => {
    const { derived, hasher: counted } = countingHasher();
    expect(await counted.verify(importedHashOf('alice'), PASSWORD_OF_ALICE)).toBe(true);
    expect(await counted.verify(importedHashOf('bob'), 'wrong')).toBe(false);
    expect(derived).toEqual(['pbkdf2-sha256', 'pbkdf2-sha512']);
  });

  it('spends one derivation on an account without a usable password, and refuses it', async () => {
    const { derived, hasher: counted } = countingHasher();
    expect(await counted.verify(UNUSABLE_PASSWORD_HASH, '')).toBe(false);
    expect(await counted.verify(UNUSABLE_PASSWORD_HASH, 'anything')).toBe(false);
    expect(derived).toEqual(['argon2id', 'argon2id']);
  });
});
