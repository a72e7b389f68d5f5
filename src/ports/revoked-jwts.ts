import type { WriteOptions } from './write-options.ts';

/** A JWT access token revoked on its own, by its `jti` (RFC 9068 section 2.2, RFC 7009). */
export interface RevokedJwt {
  readonly jti: string;
  /** Epoch seconds: the token's `exp`. The record is needed until then, and not after. */
  readonly exp: number;
}

/**
 * The `jti`s of revoked JWT access tokens that no other record names: a client-credentials JWT
 * belongs to no grant and is recorded nowhere when issued (src/provider/jwt-access-token-records.ts),
 * so its revocation is the record. Introspection reads it by `jti` (one primary-key read).
 */
export interface RevokedJwtStore {
  /**
   * Records `revoked.jti` as revoked until its `exp`, appending `options.events` in the same
   * write. Returns false, and records nothing (no event either), when the `jti` is recorded
   * already: revoking a token twice announces it once, however many requests race.
   */
  add(revoked: RevokedJwt, options?: WriteOptions): Promise<boolean>;
  /**
   * True while `jti` is recorded and its `exp` has not passed, whether or not the store has
   * pruned the record yet.
   */
  has(jti: string): Promise<boolean>;
  /** Deletes the records whose `exp` has passed; returns how many went. Housekeeping only. */
  pruneExpired(): Promise<number>;
}
