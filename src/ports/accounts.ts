import type { WriteOptions } from './write-options.ts';

/**
 * Failed sign-in attempts inside the current counting window. An attempt is counted when it
 * takes its place, before its password is checked, and stays counted unless it hands the place
 * back; `count` restarts at 1 with the first attempt after the window has passed (see
 * services/login-throttle-policy.ts).
 */
export interface FailureWindow {
  readonly count: number;
  /** Epoch ms of the first attempt of the window. */
  readonly firstAt: number;
  /** Epoch ms of the latest attempt counted. */
  readonly lastAt: number;
}

/** What sign-in keeps on an account between attempts (services/sign-in-reservations.ts). */
export interface SignInState {
  readonly failedLogins: FailureWindow | undefined;
  /** Epoch ms until which sign-in is refused; undefined when not locked. */
  readonly lockedUntil: number | undefined;
}

/** What a change makes of an account's sign-in state, and what it answers. */
export interface SignInStateChange<T> {
  /** The state to store; undefined stores nothing (and records no event). */
  readonly next: SignInState | undefined;
  readonly result: T;
}

/** An end-user account that signs in on Tessera's pages. */
export interface AccountRecord {
  /** Opaque, never contains '.', never starts with '$'; the `sub` of the user's tokens. */
  readonly id: string;
  /** As the user chose it (case kept for display). */
  readonly username: string;
  /** Lower-cased NFKC form of the username: unique, what sign-in looks up. */
  readonly usernameKey: string;
  readonly email: string | undefined;
  readonly emailVerified: boolean;
  readonly name: string | undefined;
  readonly disabled: boolean;
  /** argon2id in PHC string format. */
  readonly passwordHash: string;
  readonly failedLogins: FailureWindow | undefined;
  /** Epoch ms until which sign-in is refused; undefined when not locked. */
  readonly lockedUntil: number | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Incremented by every update: optimistic concurrency (sign-in and admins write the same record). */
  readonly version: number;
}

export interface AccountQuery {
  /** Return accounts whose id sorts after this one. */
  readonly after?: string | undefined;
  readonly limit: number;
  /** Case-insensitive substring of the username, email or name. */
  readonly search?: string | undefined;
}

/** End-user accounts. */
export interface AccountStore {
  /** Returns false (and writes nothing) when the id or the username key is taken. */
  insert(record: AccountRecord, options?: WriteOptions): Promise<boolean>;
  get(id: string): Promise<AccountRecord | undefined>;
  getByUsernameKey(usernameKey: string): Promise<AccountRecord | undefined>;
  /** Ordered by id. */
  list(query: AccountQuery): Promise<AccountRecord[]>;
  /**
   * Replaces the record if its stored version is `record.version - 1`; returns false otherwise
   * (absent or changed meanwhile) and writes nothing. The username key never changes.
   */
  update(record: AccountRecord, options?: WriteOptions): Promise<boolean>;
  /**
   * Reads the account and stores the sign-in state `change` makes of it, under the next
   * version and with `options.events`, atomically: no other write of the account, by this
   * process or another one on the same store, falls between the read and the write (an
   * optimistic `update` based on the version before fails). Every other field is kept. This is
   * how a sign-in attempt takes its place before its password is checked. `change` may be
   * called more than once (an adapter may retry a lost compare-and-set), so it must not have
   * side effects; the answer is the `result` of the call whose state was stored, or undefined
   * when there is no such account.
   */
  changeSignInState<T>(
    id: string,
    change: (current: AccountRecord) => SignInStateChange<T>,
    options?: WriteOptions,
  ): Promise<T | undefined>;
}
