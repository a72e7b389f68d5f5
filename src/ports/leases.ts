/** A named, time-limited claim held by one process (e.g. the signing-key rotation). */
export interface Lease {
  readonly name: string;
  /** Who holds it: an id unique to one process (host, pid and a random part). */
  readonly holder: string;
  /** Epoch ms (the store's clock) at which the lease lapses unless renewed. */
  readonly expiresAt: number;
}

/**
 * Named leases in the shared store, so that among several replicas exactly one does a piece of
 * work at a time (signing-key rotation; the outbox relay's claims). Crash-safe by construction: a
 * lease nobody renews lapses at `expiresAt`, and then anyone may take it.
 *
 * Expiry is judged by the store adapter's clock, so replicas' clocks should agree to well within
 * a lease's lifetime (NTP). Work done under a lease must still be guarded by the store's own
 * conditional writes: a holder stalled past its expiry no longer holds it.
 */
export interface LeaseStore {
  /**
   * Takes `name` for `holder` until now + `ttlMs` when it is free, lapsed, or already held by
   * `holder` (then this extends it). Atomic: of concurrent callers at most one succeeds.
   * Returns undefined, changing nothing, when another holder's lease is still running.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Extends a lease `holder` still holds to now + `ttlMs`. Returns undefined when it lapsed (even
   * if nobody took it since) or belongs to someone else: the holder must `acquire` again.
   */
  renew(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Gives the lease up if `holder` holds it; otherwise does nothing. */
  release(name: string, holder: string): Promise<void>;
  /** The running lease; undefined when it is free (never taken, released, or lapsed). */
  get(name: string): Promise<Lease | undefined>;
}
