import type { FailureWindow } from './accounts.ts';

/** What a change makes of a stored window, and what it answers. */
export interface WindowChange<T> {
  /** The window to store in place of the current one; undefined stores nothing. */
  readonly next: FailureWindow | undefined;
  readonly result: T;
}

/** The caller's clock for one change: times are passed in, the caller's clock rules. */
export interface WindowTiming {
  /** Epoch ms of the change; a record past its retention at this instant reads as absent. */
  readonly now: number;
  /** Epoch ms until which a stored window must be kept (never shortened by a later change). */
  readonly retainUntil: number;
}

/**
 * Failed sign-in counters that are not tied to an account: per client IP, and per username that
 * has no account (so that throttling looks the same whether an account exists or not). Keys are
 * keyed hashes, never raw IPs or usernames.
 */
export interface LoginThrottleStore {
  /**
   * Reads the key's window (undefined when there is none or it is past its retention) and stores
   * the window `change` makes of it, atomically: no other change of the key, by this process or
   * another one on the same store, falls between the read and the write. This is how a sign-in
   * attempt takes its place before its password is checked (services/sign-in-reservations.ts).
   * `change` may be called more than once (an adapter may retry a lost compare-and-set), so it
   * must not have side effects; the answer is the `result` of the call whose window was stored.
   */
  changeWindow<T>(
    key: string,
    change: (current: FailureWindow | undefined) => WindowChange<T>,
    timing: WindowTiming,
  ): Promise<T>;
  /** The current window; undefined when there is none or it is past its retention. */
  get(key: string, now: number): Promise<FailureWindow | undefined>;
  clear(key: string): Promise<void>;
  /** Deletes records past their retention; returns how many went. Housekeeping only. */
  pruneExpired(now: number): Promise<number>;
}
