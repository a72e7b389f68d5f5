import { createHmac, createSecretKey } from 'node:crypto';

/**
 * Keyed hashes of what sign-in must count by but never store or publish in clear: client IPs
 * and mistyped usernames (HMAC-SHA-256 under the server pepper). One definition, so that a
 * password attempt and a second-factor attempt from one IP count against the same key.
 */
export function createLoginDigest(pepper: Buffer): (purpose: string, value: string) => string {
  // A KeyObject once, as client-secrets.ts does: createHmac would import the Buffer every call.
  const pepperKey = createSecretKey(pepper);
  return (purpose, value) =>
    createHmac('sha256', pepperKey)
      .update(`tessera-login:${purpose}\0${value}`)
      .digest('base64url');
}
