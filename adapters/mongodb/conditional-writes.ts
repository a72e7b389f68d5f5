/**
 * How the server makes a conditional write a compare-and-set. On MongoDB a filtered update or
 * findAndModify applies atomically to each document it matches, so `{ version: n }` or
 * `{ consumedAt: null }` in the filter is all it takes. Where a server does not guarantee that,
 * its profile (server-profile.ts) supplies an implementation that does (document-locks.ts).
 */
export interface ConditionalWrites {
  /**
   * Runs `work`, whose filtered writes to the documents `keys` name (`<collection>:<id>`) are
   * compare-and-sets on what they filter, so that they decide atomically between concurrent
   * writers.
   */
  compareAndSet<T>(keys: readonly string[], work: () => Promise<T>): Promise<T>;
  /**
   * Called once a one-time conditional update (a consume's `consumedAt: null` filter) matched:
   * true when this caller is the one winner for `key`. `expiresAt` bounds how long that answer
   * must be remembered.
   */
  confirmSoleWinner(key: string, expiresAt: Date | null): Promise<boolean>;
}

/** Where the filter alone decides (MongoDB): nothing to add. */
export const atomicConditionalWrites: ConditionalWrites = {
  compareAndSet: (_keys, work) => work(),
  confirmSoleWinner: async () => true,
};
