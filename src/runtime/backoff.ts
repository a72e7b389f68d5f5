/**
 * Exponential backoff: the delay before retry n (n = 0 for the first) is `initialMs` × 2^n,
 * capped at `maxMs`. With `jitter`, "full jitter" instead: a uniformly random whole number of
 * milliseconds in [0, that delay), so that processes that failed together do not retry together
 * (AWS Architecture Blog, "Exponential Backoff And Jitter").
 *
 * Every exponential delay in Tessera doubles, so the factor is not a parameter. kafkajs retries
 * inside its client with its own formula and takes its settings as an object
 * (adapters/kafka/kafka-client-options.ts); the MongoDB adapter's transaction retries have a
 * jittered pause of their own (adapters/mongodb/transactions.ts).
 */
export interface BackoffPolicy {
  /** The delay before the first retry. */
  readonly initialMs: number;
  /** No delay is longer. */
  readonly maxMs: number;
  /** Full jitter: a random delay below the exponential one. */
  readonly jitter?: boolean;
}

/** 2^30 times any delay of a millisecond or more passes any cap; the power stays finite. */
const MAX_DOUBLINGS = 30;

/** The delay before retry `retry` (0, 1, …); `random` gives [0, 1) as Math.random does. */
export function backoffDelay(
  policy: BackoffPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const delay = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(retry, MAX_DOUBLINGS));
  return policy.jitter ? Math.floor(random() * delay) : delay;
}

/** Backoff over consecutive failures: each `next()` is the wait after one more. */
export interface Backoff {
  /** The wait after one more failure. */
  next(): number;
  reset(): void;
  /** Consecutive failures since the last reset. */
  readonly failures: number;
}

export function createBackoff(policy: BackoffPolicy, random: () => number = Math.random): Backoff {
  let failures = 0;
  return {
    next() {
      const delay = backoffDelay(policy, failures, random);
      failures += 1;
      return delay;
    },
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}
