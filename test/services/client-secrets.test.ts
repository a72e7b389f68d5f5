import { createHmac, randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { createClientSecretHasher } from '../../src/services/client-secrets.ts';

describe('client secret hashing', () => {
  const hasher = createClientSecretHasher(randomBytes(32));

  it('generates secrets of at least 256 bits, all different', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => hasher.generate()));
    expect(secrets.size).toBe(100);
    for (const secret of secrets)
      expect(Buffer.from(secret, 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it('refuses to generate secrets shorter than 256 bits', () => {
    expect(() => createClientSecretHasher(randomBytes(32), 16)).toThrow(TypeError);
  });

  it('matches the right secret among several and refuses others', () => {
    const [a, b] = [hasher.generate(), hasher.generate()];
    const secrets = [
      { id: '1', hash: hasher.hash(a), createdAt: 0, expiresAt: undefined },
      { id: '2', hash: hasher.hash(b), createdAt: 0, expiresAt: undefined },
    ];
    expect(hasher.matches(a, secrets, 0)).toBe(true);
    expect(hasher.matches(b, secrets, 0)).toBe(true);
    expect(hasher.matches(`${a}x`, secrets, 0)).toBe(false);
    expect(hasher.matches('', secrets, 0)).toBe(false);
  });

  it('refuses an expired secret', () => {
    const secret = hasher.generate();
    const secrets = [{ id: '1', hash: hasher.hash(secret), createdAt: 0, expiresAt: 1000 }];
    expect(hasher.matches(secret, secrets, 999)).toBe(true);
    expect(hasher.matches(secret, secrets, 1000)).toBe(false);
  });

  it('is HMAC-SHA-256 under the pepper with the domain prefix, so stored hashes stay valid', () => {
    const pepper = randomBytes(32);
    const keyed = createClientSecretHasher(pepper);
    for (const secret of [keyed.generate(), 'ü-non-ascii-ünïcode', '', 'x'.repeat(200)]) {
      const expected = createHmac('sha256', pepper)
        .update('tessera-client-secret\0')
        .update(secret, 'utf8')
        .digest('base64url');
      expect(keyed.hash(secret)).toBe(expected);
    }
    // Each digest starts from the keyed state: an earlier one must not leak into the next.
    const secret = keyed.generate();
    expect(keyed.hash(secret)).toBe(keyed.hash(secret));
  });

  it('depends on the pepper: the same secret hashes differently under another pepper', () => {
    const secret = hasher.generate();
    expect(createClientSecretHasher(randomBytes(32)).hash(secret)).not.toBe(hasher.hash(secret));
  });
});
