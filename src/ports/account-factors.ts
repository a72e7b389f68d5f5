import type { WriteOptions } from './write-options.ts';

/** What kind of second factor (or passwordless credential) a record holds. */
export type FactorKind = 'totp' | 'recovery_codes' | 'passkey';

/**
 * One authentication factor of an account besides its password (services/factors/): an
 * authenticator app's secret, the account's set of recovery codes, or a passkey.
 */
export interface AccountFactor {
  /**
   * Unique across every account: `totp:<account id>` and `recovery:<account id>` (one each per
   * account), or a passkey's credential id, so that one credential never names two accounts.
   */
  readonly id: string;
  readonly accountId: string;
  readonly kind: FactorKind;
  /** The name the user gave it (passkeys); undefined otherwise. */
  readonly name: string | undefined;
  /**
   * Kind-specific and opaque to the store: the sealed TOTP secret, the recovery codes' keyed
   * hashes, a passkey's public key and flags. Never holds a secret in clear.
   */
  readonly data: Readonly<Record<string, unknown>>;
  /**
   * What a use moves on, compared and set atomically by recordUse: the TOTP time step last
   * accepted, a passkey's signature counter, the number of recovery codes spent.
   */
  readonly counter: number;
  readonly createdAt: number;
  /** Epoch ms of the last successful use; undefined when never used. */
  readonly lastUsedAt: number | undefined;
}

/** What a successful use stores (AccountFactorStore.recordUse). */
export interface FactorUse {
  readonly counter: number;
  readonly usedAt: number;
  /** Replaces `data` when given (a spent recovery code removed, a confirmed secret). */
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

/** The factors of accounts. */
export interface AccountFactorStore {
  /** Returns false (and writes nothing, no event either) when the id is taken, by any account. */
  insert(factor: AccountFactor, options?: WriteOptions): Promise<boolean>;
  get(id: string): Promise<AccountFactor | undefined>;
  /** An account's factors, oldest first (by createdAt, then id). */
  listByAccount(accountId: string): Promise<AccountFactor[]>;
  /**
   * Stores `use` if the stored counter is still `expectedCounter`, atomically: of concurrent uses
   * read at the same counter, exactly one is stored (the others answer false and write
   * nothing). This is what makes a TOTP code or a recovery code count once.
   */
  recordUse(
    id: string,
    expectedCounter: number,
    use: FactorUse,
    options?: WriteOptions,
  ): Promise<boolean>;
  /** Deletes the factor if it belongs to `accountId`; false (and no event) when it did not exist. */
  delete(accountId: string, id: string, options?: WriteOptions): Promise<boolean>;
  /**
   * Deletes every factor of `accountId` and answers how many went; the events are recorded with
   * the deletion, even when there was nothing to delete.
   */
  deleteByAccount(accountId: string, options?: WriteOptions): Promise<number>;
}
