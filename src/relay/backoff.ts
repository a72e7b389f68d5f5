/**
 * Exponential backoff with full jitter: the n-th consecutive failure waits a uniformly random
 * time in [0, min(cap, base × 2^n)), so replicas that failed together do not retry together
 * (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export interface Backoff {
  /** The wait after one more failure. */
  next(): number;
  reset(): void;
  /** Consecutive failures since the last reset. */
  readonly failures: number;
}

export function createBackoff(options: {
  baseMs: number;
  capMs: number;
  random?: () => number;
}): Backoff {
  const random = options.random ?? Math.random;
  let failures = 0;
  return {
    next() {
      const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(failures, 30));
      failures += 1;
      return Math.floor(random() * ceiling);
    },
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}
