import { createHash } from 'node:crypto';

import type { TesseraEvent } from './event-schema.ts';

export interface RevocationListOptions {
  readonly clock?: () => number;
  /**
   * How long to deny a revoked token whose event carries no `exp` (seconds). Tessera always
   * sends `exp` for tokens that expire; this bounds memory for any that might not.
   */
  readonly fallbackTtlSeconds?: number;
}

/**
 * A deny-list of revoked tokens, fed with `tessera.token.revoked` events, for a resource server
 * that verifies JWT access tokens locally (and so would otherwise accept a revoked one until its
 * `exp`). Entries leave once the token has expired anyway. Feeding it an event twice, or any
 * other event, is harmless.
 */
export interface RevocationList {
  /** Takes note of what `event` revokes; returns true when it added an entry. */
  apply(event: TesseraEvent): boolean;
  /** True while the JWT access token with this `jti` is revoked and not yet expired. */
  isRevoked(jti: string): boolean;
  /** The same for an opaque token (e.g. one whose introspection result you cache), by value. */
  isOpaqueTokenRevoked(token: string): boolean;
  /** Entries held, expired ones included until the next sweep. */
  readonly size: number;
}

const SWEEP_EVERY = 1_000;

export function createRevocationList(options: RevocationListOptions = {}): RevocationList {
  const clock = options.clock ?? Date.now;
  const fallbackTtlMs = (options.fallbackTtlSeconds ?? 86_400) * 1000;
  /** `jti:<jti>` or `hash:<base64url sha-256>` → epoch ms after which the entry may go. */
  const denied = new Map<string, number>();
  let addedSinceSweep = 0;

  const sweep = () => {
    const now = clock();
    for (const [entry, until] of denied) if (until <= now) denied.delete(entry);
    addedSinceSweep = 0;
  };

  const has = (entry: string) => {
    const until = denied.get(entry);
    return until !== undefined && until > clock();
  };

  return {
    apply(event) {
      if (event.type !== 'tessera.token.revoked') return false;
      const { data } = event;
      const until = data.exp === null ? clock() + fallbackTtlMs : data.exp * 1000;
      if (until <= clock()) return false;
      const entry = data.format === 'jwt' ? `jti:${data.jti}` : `hash:${data.token_hash}`;
      denied.set(entry, Math.max(until, denied.get(entry) ?? 0));
      if ((addedSinceSweep += 1) >= SWEEP_EVERY) sweep();
      return true;
    },
    isRevoked: (jti) => has(`jti:${jti}`),
    isOpaqueTokenRevoked: (token) =>
      has(`hash:${createHash('sha256').update(token, 'utf8').digest('base64url')}`),
    get size() {
      return denied.size;
    },
  };
}
