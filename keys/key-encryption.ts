import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

import type { EncryptedPrivateKey } from '../src/ports/signing-keys.ts';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;

/** Thrown when a stored key cannot be decrypted: wrong key-encryption key or tampered data. */
export class KeyDecryptionError extends Error {
  override readonly name = 'KeyDecryptionError';
}

/**
 * Encrypts private signing keys at rest with AES-256-GCM under the key-encryption key (KEK).
 * Each ciphertext records the KEK's id so a KEK rotation can tell which key decrypts what.
 */
export interface KeyEncrypter {
  readonly kekId: string;
  encrypt(plaintext: string, associatedData: string): EncryptedPrivateKey;
  decrypt(sealed: EncryptedPrivateKey, associatedData: string): string;
}

/** A KEK's public fingerprint: never reveals the key, identifies it across restarts. */
export function keyEncryptionKeyId(kek: Buffer): string {
  return createHash('sha256')
    .update('tessera-kek-id\0')
    .update(kek)
    .digest('base64url')
    .slice(0, 16);
}

export function createKeyEncrypter(kek: Buffer): KeyEncrypter {
  if (kek.length !== 32) throw new TypeError('the key-encryption key must be 32 bytes');
  const kekId = keyEncryptionKeyId(kek);
  return {
    kekId,
    encrypt(plaintext, associatedData) {
      // A fresh random 96-bit nonce per key: GCM's safety depends on never reusing one.
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, kek, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return {
        kekId,
        iv: iv.toString('base64url'),
        ciphertext: ciphertext.toString('base64url'),
        tag: cipher.getAuthTag().toString('base64url'),
      };
    },
    decrypt(sealed, associatedData) {
      if (sealed.kekId !== kekId) {
        throw new KeyDecryptionError(
          `key was encrypted under key-encryption key ${sealed.kekId}, but the configured one is ${kekId}`,
        );
      }
      try {
        const decipher = createDecipheriv(ALGORITHM, kek, Buffer.from(sealed.iv, 'base64url'));
        decipher.setAAD(Buffer.from(associatedData, 'utf8'));
        decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
        return Buffer.concat([
          decipher.update(Buffer.from(sealed.ciphertext, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch (cause) {
        throw new KeyDecryptionError(
          'stored key failed authentication under the configured key-encryption key',
          {
            cause,
          },
        );
      }
    },
  };
}
