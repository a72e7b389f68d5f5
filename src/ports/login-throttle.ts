import type { FailureWindow } from './accounts.ts';
import type { WriteOptions } from './write-options.ts';

export interface FailureCount {
  /** Epoch ms of this failure. */
  readonly now: number;
  /** A window that began at or before `now - windowMs` is over: counting restarts at 1. */
  readonly windowMs: number;
  /** Epoch ms until which the record must be kept (the window plus any lockout). */
  readonly retainUntil: number;
}

/**
 * Failed sign-in counters that are not tied to an account: per client IP, and per username that
 * has no account (so that throttling looks the same whether an account exists or not). Keys are
 * keyed hashes, never raw IPs or usernames. Times are passed in by the caller, whose clock rules.
 */
export interface LoginThrottleStore {
  /** Counts one failure atomically (concurrent failures are all counted) and returns the window. */
  recordFailure(key: string, count: FailureCount, options?: WriteOptions): Promise<FailureWindow>;
  /** The current window; undefined when there is none or it is past its retention. */
  get(key: string, now: number): Promise<FailureWindow | undefined>;
  clear(key: string): Promise<void>;
  /** Deletes records past their retention; returns how many went. Housekeeping only. */
  pruneExpired(now: number): Promise<number>;
}
