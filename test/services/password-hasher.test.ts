import { afterAll, describe, expect, it } from 'vitest';

import { createArgon2Pool } from '../../src/services/passwords/argon2-pool.ts';
import {
  createPasswordHasher,
  parseArgon2Hash,
} from '../../src/services/passwords/password-hasher.ts';

const DEFAULT_COST = { memoryKib: 19_456, iterations: 2, parallelism: 1 };

// Made by the reference libargon2 (through the argon2 npm package), which writes its parameters
// in another order than Tessera: both must verify.
const REFERENCE_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$dGVzc2VyYS1rYXQtc2FsdA$o6gjF1QQJU7xEMIv/+iN1CH7IIbry22DCeZh2WL+eic';

describe('password hasher', () => {
  const pool = createArgon2Pool({ workers: 1, maxQueued: 8 });
  const hasher = createPasswordHasher({ pool, params: DEFAULT_COST });
  afterAll(() => pool.close());

  it('writes argon2id PHC strings with the configured cost and a fresh salt each time', async () => {
    const first = await hasher.hash('correct horse battery staple');
    const second = await hasher.hash('correct horse battery staple');
    expect(first).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
    expect(second).not.toBe(first);
  });

  it('verifies a hash made by the reference argon2 implementation', async () => {
    expect(await hasher.verify(REFERENCE_HASH, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(REFERENCE_HASH, 'correct horse battery stapler')).toBe(false);
  });

  it('verifies its own hashes and refuses other passwords', async () => {
    const hash = await hasher.hash('tr0ub4dor&3 at night');
    expect(await hasher.verify(hash, 'tr0ub4dor&3 at night')).toBe(true);
    expect(await hasher.verify(hash, 'tr0ub4dor&3 at noon')).toBe(false);
  });

  it('answers false, not an error, for a malformed stored hash', async () => {
    expect(await hasher.verify('$2b$10$notargon', 'anything at all')).toBe(false);
    expect(await hasher.verify('', 'anything at all')).toBe(false);
  });

  it('asks for a rehash only when the cost differs from the configured one', async () => {
    expect(hasher.needsRehash(REFERENCE_HASH)).toBe(false);
    expect(hasher.needsRehash(REFERENCE_HASH.replace('t=2', 't=3'))).toBe(true);
    expect(hasher.needsRehash('$2b$10$notargon')).toBe(true);
  });

  it('parses the cost parameters whatever their order', () => {
    expect(parseArgon2Hash(REFERENCE_HASH)).toMatchObject(DEFAULT_COST);
  });

  it('starts its threads only when passwords are checked, never more than configured', async () => {
    const lazy = createArgon2Pool({ workers: 2, maxQueued: 8 });
    const lazyHasher = createPasswordHasher({ pool: lazy, params: DEFAULT_COST });
    expect(lazy.threads).toBe(0);
    await Promise.all(Array.from({ length: 4 }, () => lazyHasher.hash('lazy start test')));
    expect(lazy.threads).toBe(2);
    await lazy.close();
  });

  it('refuses more waiting derivations than the queue holds', async () => {
    const tiny = createArgon2Pool({ workers: 1, maxQueued: 1 });
    const tinyHasher = createPasswordHasher({ pool: tiny, params: DEFAULT_COST });
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => tinyHasher.hash('queue pressure test')),
    );
    await tiny.close();
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused[0]).toMatchObject({ reason: { name: 'Argon2PoolBusyError' } });
  });
});
