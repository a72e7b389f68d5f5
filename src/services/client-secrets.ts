import { randomBytes, timingSafeEqual } from 'node:crypto';

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

import type { ClientSecretRecord } from '../ports/clients.ts';

/**
 * Client secrets are generated here (>= 256 bits of randomness), returned once and stored only as
 * HMAC-SHA-256 under a server pepper. They are high-entropy, so a fast keyed hash suffices: a slow
 * password hash would only cost client-credentials throughput
 * (docs/decisions/0007-client-secrets-hmac-under-a-pepper.md).
 */
export interface ClientSecretHasher {
  generate(): string;
  hash(secret: string): string;
  /** True when `presented` matches any secret that has not expired at `now`. */
  matches(presented: string, secrets: readonly ClientSecretRecord[], now: number): boolean;
}

const DOMAIN_PREFIX = new TextEncoder().encode('tessera-client-secret\0');
const utf8 = (text: string) => Buffer.from(text, 'utf8');

export function createClientSecretHasher(pepper: Buffer, secretBytes = 32): ClientSecretHasher {
  if (secretBytes < 32) throw new TypeError('client secrets need at least 256 bits');
  // HMAC-SHA-256 keyed once: each digest clones the state that has absorbed the pepper and the
  // domain prefix. @noble/hashes (audited, pure JS) rather than node:crypto: a createHmac per
  // token request cost ~18 µs of the event loop under load, against ~8 µs here
  // (docs/benchmarks.md "Performance"); both compute the same HMAC, so stored hashes are unchanged.
  const keyed = hmac.create(sha256, pepper).update(DOMAIN_PREFIX);
  const digest = (secret: string) => Buffer.from(keyed.clone().update(utf8(secret)).digest());

  // Decoded once per record: the token endpoint passes the same records while a client is cached.
  const decoded = new WeakMap<ClientSecretRecord, Buffer>();
  return {
    generate: () => randomBytes(secretBytes).toString('base64url'),
    hash: (secret) => digest(secret).toString('base64url'),
    matches(presented, secrets, now) {
      const candidate = digest(presented);
      let matched = false;
      // Compare against every live secret without early exit, each in constant time.
      for (const secret of secrets) {
        let stored = decoded.get(secret);
        if (!stored) {
          stored = Buffer.from(secret.hash, 'base64url');
          decoded.set(secret, stored);
        }
        const live = secret.expiresAt === undefined || secret.expiresAt > now;
        const equal = stored.length === candidate.length && timingSafeEqual(stored, candidate);
        matched = (equal && live) || matched;
      }
      return matched;
    },
  };
}
