import type { LoginThrottleConfig } from '../config/config.ts';
import {
  withSignInState,
  type AccountRecord,
  type AccountStore,
  type FailureWindow,
  type SignInState,
} from '../ports/accounts.ts';
import type { LoginThrottleStore } from '../ports/login-throttle.ts';
import {
  ipTurn,
  retentionMs,
  signInStateWith,
  signInStateWithout,
  usernameTurn,
  windowWithout,
  type Refusal,
  type TurnDecision,
} from './login-throttle-policy.ts';

/** A turn an attempt holds while its password is checked. */
export interface HeldTurn {
  /** The window with this attempt counted: its `failures` once it failed. */
  readonly counted: FailureWindow;
  /** Gives the turn back: for an attempt whose password was not checked, or a success. */
  release(): Promise<void>;
  /**
   * An account's turn: the account as the turn stored it, the guess for its next sign-in
   * state change (AccountStore.changeSignInState). Undefined for the other counters.
   */
  readonly account?: AccountRecord | undefined;
}

export type Reservation =
  | { readonly held: HeldTurn; readonly refused?: never }
  | { readonly refused: Refusal; readonly held?: never };

export interface SignInReservationDeps {
  readonly accounts: AccountStore;
  readonly throttle: LoginThrottleStore;
  readonly policy: LoginThrottleConfig;
}

/**
 * Turns for sign-in attempts, taken in the store before the password is checked: one atomic
 * read-decide-write per counter (AccountStore.changeSignInState, LoginThrottleStore.changeWindow),
 * so that however many attempts arrive at once, at whichever replica, no more of them reach the
 * password check than the policy has turns for. A turn counts as a failure from the moment it
 * is taken. A failed attempt keeps it; an attempt whose password could not be checked (no argon2
 * worker) gives it back, as does a success at its client IP. A turn whose process died before
 * either stays counted as a failure: it ends with its window (or the lockout it earned), and
 * `tessera users unlock` clears an account's at once, as it clears every other failure.
 */
export function createSignInReservations(deps: SignInReservationDeps) {
  const { accounts, throttle, policy } = deps;
  const timing = (now: number) => ({ now, retainUntil: now + retentionMs(policy) });

  async function onCounter(
    key: string,
    turn: (current: FailureWindow | undefined) => TurnDecision,
    now: number,
  ): Promise<Reservation> {
    const { decision, before } = await throttle.changeWindow(
      key,
      (current) => {
        const decided = turn(current);
        return { next: decided.counted, result: { decision: decided, before: current } };
      },
      timing(now),
    );
    if (decision.refused) return { refused: decision.refused };
    const counted = decision.counted;
    const release = () =>
      throttle.changeWindow(
        key,
        (current) => ({ next: windowWithout(current, counted, before), result: undefined }),
        timing(now),
      );
    return { held: { counted, release } };
  }

  return {
    /** A turn of a client IP (its key: the keyed hash of the IP). */
    ofIp: (key: string, now: number) =>
      onCounter(key, (current) => ipTurn(current, policy, now), now),

    /** A turn of a username without an account (its key: the keyed hash of the username). */
    ofUnknownUsername: (key: string, now: number) =>
      onCounter(key, (current) => usernameTurn(current, undefined, policy, now), now),

    /**
     * A turn of an account, on the account itself; undefined when the account is gone.
     * `account` is the record the caller just read: the turn is taken on it without reading it
     * again while it is still the stored version (AccountStore.changeSignInState's guess).
     */
    async ofAccount(account: AccountRecord, now: number): Promise<Reservation | undefined> {
      const { id } = account;
      const take = (current: AccountRecord) => {
        const decided = usernameTurn(current.failedLogins, current.lockedUntil, policy, now);
        const before: SignInState = {
          failedLogins: current.failedLogins,
          lockedUntil: current.lockedUntil,
        };
        const next = decided.counted && signInStateWith(decided.counted, before, policy);
        const stored = next && withSignInState(current, next);
        return { next, result: { decision: decided, before, stored } };
      };
      const taken = await accounts.changeSignInState(id, take, { guess: account });
      if (!taken) return undefined;
      const { decision, before, stored } = taken;
      if (decision.refused) return { refused: decision.refused };
      const counted = decision.counted;
      const release = async () => {
        await accounts.changeSignInState(
          id,
          (current) => ({
            next: signInStateWithout(current, counted, before, policy),
            result: undefined,
          }),
          { guess: stored },
        );
      };
      return { held: { counted, release, account: stored } };
    },
  };
}

export type SignInReservations = ReturnType<typeof createSignInReservations>;
