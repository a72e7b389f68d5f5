import type { WriteOptions } from './write-options.ts';

/**
 * Failed sign-in attempts inside the current counting window. `count` restarts at 1 with the
 * first failure after the window has passed (see services/login-throttle-policy.ts).
 */
export interface FailureWindow {
  readonly count: number;
  /** Epoch ms of the first failure of the window. */
  readonly firstAt: number;
  /** Epoch ms of the latest failure. */
  readonly lastAt: number;
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
}
