import type { Page } from './clients.ts';
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

/** Options of changeSignInState: its events, and optionally the account as last read. */
export interface SignInStateOptions extends WriteOptions {
  /**
   * The account as the caller read it from this store a moment ago (sign-in looks it up by
   * username first). The change is decided on it and stored by one compare-and-set on its
   * `version`, without reading the account again. Only a write that went through relies on it:
   * when the stored version has moved on (or the account is gone), or when the change stores
   * nothing, the account is read and the change decided again, as without a guess. Ignored
   * when its id is not the one changed. It must be a record this store returned, or
   * withSignInState of one: when its version matches, adapters write it back whole, so an
   * edited copy would store its edits through a sign-in.
   */
  readonly guess?: AccountRecord | undefined;
}

/**
 * The record AccountStore.changeSignInState stores over `current`: `next` under the next
 * version, every other field kept. Adapters store exactly this; a caller may use it as the
 * guess of its next change.
 */
export function withSignInState(current: AccountRecord, next: SignInState): AccountRecord {
  return {
    ...current,
    failedLogins: next.failedLogins,
    lockedUntil: next.lockedUntil,
    version: current.version + 1,
  };
}

/** An end-user account that signs in on Tessera's pages. */
export interface AccountRecord {
  /** Opaque, never contains '.', never starts with '$'; the `sub` of the user's tokens. */
  readonly id: string;
  /** As the user chose it (case kept for display). */
  readonly username: string;
  /** The username case-mapped and normalised (usernameKeyOf, RFC 8265): unique, what sign-in looks up. */
  readonly usernameKey: string;
  /**
   * The skeleton of the username key (usernameSkeletonOf, after UTS #39): equal for look-alike
   * usernames, and unique, so two confusable usernames cannot both be stored. Undefined for an
   * account stored before skeletons existed until the username re-key
   * (services/usernames/username-rekey.ts) gives it one, and for one whose skeleton another
   * account already holds (the re-key reports it).
   */
  readonly usernameSkeleton: string | undefined;
  readonly email: string | undefined;
  readonly emailVerified: boolean;
  readonly name: string | undefined;
  /*
   * Profile fields (services/account-profile.ts). Optional: records stored before they existed
   * lack them, and read as having none; no migration is needed, the record is stored whole.
   */
  readonly givenName?: string | undefined;
  readonly familyName?: string | undefined;
  /** A BCP 47 language tag, canonicalised. */
  readonly locale?: string | undefined;
  /** An IANA time zone name. */
  readonly zoneinfo?: string | undefined;
  /** An absolute http(s) URL. */
  readonly picture?: string | undefined;
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

/** What rekeyUsername did: saved, found the account absent or changed, or the key or skeleton taken. */
export type RekeyOutcome = 'saved' | 'changed' | 'taken';

/** End-user accounts. */
export interface AccountStore {
  /**
   * Returns false (and writes nothing) when the id, the username key or the username skeleton
   * is taken: of two concurrent inserts of confusable usernames, one fails.
   */
  insert(record: AccountRecord, options?: WriteOptions): Promise<boolean>;
  get(id: string): Promise<AccountRecord | undefined>;
  getByUsernameKey(usernameKey: string): Promise<AccountRecord | undefined>;
  getByUsernameSkeleton(usernameSkeleton: string): Promise<AccountRecord | undefined>;
  /** Ordered by id. */
  list(query: AccountQuery): Promise<AccountRecord[]>;
  /** Accounts whose usernameSkeleton is undefined, ordered by id: the username re-key's work. */
  listWithoutSkeleton(page: Page): Promise<AccountRecord[]>;
  /**
   * Replaces the record if its stored version is `record.version - 1`; returns false otherwise
   * (absent or changed meanwhile) and writes nothing. The username key and skeleton never change.
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
   * when there is no such account. A refusal (no state stored) is decided on a record read
   * here, never on `options.guess` alone.
   */
  changeSignInState<T>(
    id: string,
    change: (current: AccountRecord) => SignInStateChange<T>,
    options?: SignInStateOptions,
  ): Promise<T | undefined>;
  /**
   * Like update, but the username key and skeleton may change: the re-key after the username
   * rules changed. 'taken' (and nothing written) when another account holds the new key or
   * skeleton. Records no event: what the account shows does not change.
   */
  rekeyUsername(record: AccountRecord): Promise<RekeyOutcome>;
}
