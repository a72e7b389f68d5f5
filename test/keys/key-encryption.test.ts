import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { generateKeyGeneration } from '../../keys/generate-key-generation.ts';
import { createKeyEncrypter, KeyDecryptionError } from '../../keys/key-encryption.ts';
import { buildSigningKeyRing } from '../../keys/signing-key-ring.ts';

describe('private key encryption at rest', () => {
  const encrypter = createKeyEncrypter(randomBytes(32));

  it('round-trips a private JWK and never stores it in the clear', () => {
    const sealed = encrypter.encrypt('{"d":"secret-member"}', 'kid-1');
    expect(JSON.stringify(sealed)).not.toContain('secret-member');
    expect(sealed.kekId).toBe(encrypter.kekId);
    expect(encrypter.decrypt(sealed, 'kid-1')).toBe('{"d":"secret-member"}');
  });

  it('uses a fresh nonce for every encryption', () => {
    const a = encrypter.encrypt('same', 'kid');
    const b = encrypter.encrypt('same', 'kid');
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('refuses a ciphertext moved to another kid (bound as associated data)', () => {
    const sealed = encrypter.encrypt('payload', 'kid-1');
    expect(() => encrypter.decrypt(sealed, 'kid-2')).toThrow(KeyDecryptionError);
  });

  it('refuses tampered ciphertext', () => {
    const sealed = encrypter.encrypt('payload', 'kid-1');
    const flipped = Buffer.from(sealed.ciphertext, 'base64url');
    flipped[0]! ^= 1;
    expect(() =>
      encrypter.decrypt({ ...sealed, ciphertext: flipped.toString('base64url') }, 'kid-1'),
    ).toThrow(KeyDecryptionError);
  });

  it('says which key-encryption key a stored key needs when another one is configured', () => {
    const sealed = encrypter.encrypt('payload', 'kid-1');
    const other = createKeyEncrypter(randomBytes(32));
    expect(() => other.decrypt(sealed, 'kid-1')).toThrow(new RegExp(sealed.kekId));
  });
});

describe('signing key generation and key ring', () => {
  const encrypter = createKeyEncrypter(randomBytes(32));

  it('creates one RS256 and one ES256 key with thumbprint kids and public-only JWKs', async () => {
    const records = await generateKeyGeneration(encrypter, 'current', 1000);
    expect(records.map((record) => record.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(new Set(records.map((record) => record.generation)).size).toBe(1);
    for (const record of records) {
      expect(record.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(record.publicJwk).not.toHaveProperty('d');
      expect(record.activatedAt).toBe(1000);
    }
    const rsa = records.find((record) => record.alg === 'RS256')!;
    expect(Buffer.from(rsa.publicJwk.n as string, 'base64url').length * 8).toBe(2048);
  });

  it('lets only current keys sign: next and retired keys are verify-only and ordered last', async () => {
    const current = await generateKeyGeneration(encrypter, 'current', 1);
    const next = await generateKeyGeneration(encrypter, 'next', 2);
    const ring = buildSigningKeyRing([...next, ...current], encrypter);
    expect(
      ring.jwks.keys
        .slice(0, 2)
        .map((key) => key.kid)
        .sort(),
    ).toEqual(current.map((r) => r.kid).sort());
    for (const key of ring.jwks.keys.slice(0, 2)) expect(key.key_ops).toBeUndefined();
    for (const key of ring.jwks.keys.slice(2)) expect(key.key_ops).toEqual(['verify']);
    expect(ring.jwks.keys.every((key) => typeof key.d === 'string')).toBe(true);
  });
});
