import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';

import type { ClientSecretRecord } from '../ports/clients.ts';

/**
 * Client secrets are generated here (>= 256 bits of randomness), returned once and stored only as
 * HMAC-SHA-256 under a server pepper (DESIGN.md section 3). They are high-entropy, so a fast keyed
 * hash suffices: a slow password hash would only cost client-credentials throughput.
 */
export interface ClientSecretHasher {
  generate(): string;
  hash(secret: string): string;
  /** True when `presented` matches any secret that has not expired at `now`. */
  matches(presented: string, secrets: readonly ClientSecretRecord[], now: number): boolean;
}

export function createClientSecretHasher(pepper: Buffer, secretBytes = 32): ClientSecretHasher {
  if (secretBytes < 32) throw new TypeError('client secrets need at least 256 bits');
  // A KeyObject once, not the raw pepper per call: createHmac would turn the Buffer into a key
  // on every request (measured on Node 24: 14.6 µs against 5.3 µs per digest).
  const key = createSecretKey(pepper);
  const digest = (secret: string) =>
    createHmac('sha256', key).update('tessera-client-secret\0').update(secret, 'utf8').digest();

  return {
    generate: () => randomBytes(secretBytes).toString('base64url'),
    hash: (secret) => digest(secret).toString('base64url'),
    matches(presented, secrets, now) {
      const candidate = digest(presented);
      let matched = false;
      // Compare against every live secret without early exit, each in constant time.
      for (const secret of secrets) {
        const stored = Buffer.from(secret.hash, 'base64url');
        const live = secret.expiresAt === undefined || secret.expiresAt > now;
        const equal = stored.length === candidate.length && timingSafeEqual(stored, candidate);
        matched = (equal && live) || matched;
      }
      return matched;
    },
  };
}
