import type { LoginThrottleConfig } from '../config/config.ts';
import type { EventFactory } from '../events/event-factory.ts';
import type { LoginMetrics } from '../metrics/create-metrics.ts';
import type { AccountRecord, AccountStore, FailureWindow } from '../ports/accounts.ts';
import { recordLoginSuccess } from './login-success.ts';
import type { LoginThrottleStore } from '../ports/login-throttle.ts';
import type { OutboxStore } from '../ports/outbox.ts';
import { MAX_USERNAME_LENGTH, usernameKeyOf } from './account-rules.ts';
import { saveAccountChange } from './account-update.ts';
import { toAccountView, type AccountView } from './account-view.ts';
import type { AuthenticationMethod } from './authentication-context.ts';
import { createLoginDigest } from './login-digest.ts';
import { ipTurn, lockedUntilFor, usernameTurn, type Refusal } from './login-throttle-policy.ts';
import { Argon2PoolBusyError, Argon2PoolUnavailableError } from './passwords/argon2-pool.ts';
import type { PasswordHasher } from './passwords/password-hasher.ts';
import {
  createSignInReservations,
  type HeldTurn,
  type Reservation,
} from './sign-in-reservations.ts';

export interface LoginAttempt {
  readonly username: string;
  readonly password: string;
  /** The client IP, as the HTTP layer determined it (proxy-aware). */
  readonly ip: string;
  /** The OAuth client the user is signing in to. */
  readonly clientId: string | undefined;
}

/**
 * What the sign-in page may tell the user. Unknown user, wrong password and disabled account are
 * all `invalid_credentials` (same page, same status): the event log keeps the real reason.
 */
export type LoginResult =
  | {
      readonly outcome: 'success';
      readonly account: AccountView;
      /** How the person proved who they are (RFC 8176 values; authentication-context.ts). */
      readonly methods: readonly [AuthenticationMethod, ...AuthenticationMethod[]];
    }
  /**
   * The password was right and the account has a second factor: the sign-in is finished by
   * second-factor.ts. Nothing was counted as a success yet (no event, failures kept).
   */
  | {
      readonly outcome: 'second_factor';
      readonly account: AccountView;
      readonly methods: readonly [AuthenticationMethod, ...AuthenticationMethod[]];
    }
  | { readonly outcome: 'invalid_credentials' }
  | { readonly outcome: 'throttled' }
  | { readonly outcome: 'busy' }
  /** No argon2 worker can run (argon2-pool.ts): 503 until the pool recovers. */
  | { readonly outcome: 'unavailable' };

/** Why a sign-in failed, for `tessera.login.failed` events only (never shown to the user). */
export type LoginFailureReason = 'unknown_user' | 'wrong_password' | 'account_disabled';

export interface AuthenticatorDeps {
  readonly accounts: AccountStore;
  readonly throttle: LoginThrottleStore;
  readonly outbox: OutboxStore;
  readonly hasher: PasswordHasher;
  readonly policy: LoginThrottleConfig;
  /** Keys the hashes of IPs and unknown usernames (the client-secret pepper). */
  readonly pepper: Buffer;
  readonly newEvent: EventFactory;
  readonly clock: () => number;
  /** tessera_logins_total / tessera_lockouts_total (none when omitted). */
  readonly metrics?: LoginMetrics | undefined;
  /** Whether a password sign-in of the account must be completed by a second factor. */
  readonly needsSecondFactor?: ((accountId: string) => Promise<boolean>) | undefined;
}

const NO_METRICS: LoginMetrics = {
  succeeded: () => undefined,
  failed: () => undefined,
  lockedOut: () => undefined,
};

/** Longest username text that is looked at; longer input cannot name an account anyway. */
const MAX_USERNAME_INPUT = MAX_USERNAME_LENGTH * 4;

export function createAuthenticator(deps: AuthenticatorDeps) {
  const { accounts, throttle, hasher, policy, newEvent, clock } = deps;
  const metrics = deps.metrics ?? NO_METRICS;
  const turns = createSignInReservations({ accounts, throttle, policy });

  const digest = createLoginDigest(deps.pepper);

  /** The same answer for every refusal before the password check: no reason is revealed. */
  const refuse = (reason: Refusal): LoginResult => {
    metrics.failed(reason);
    return { outcome: 'throttled' };
  };

  /** The hash to keep after a successful sign-in: remade when the configured cost changed. */
  async function rehashed(storedHash: string, password: string): Promise<string> {
    if (!hasher.needsRehash(storedHash)) return storedHash;
    try {
      return await hasher.hash(password);
    } catch (error) {
      // A busy or failing pool only postpones the upgrade to the next sign-in.
      if (error instanceof Argon2PoolBusyError) return storedHash;
      if (error instanceof Argon2PoolUnavailableError) return storedHash;
      throw error;
    }
  }

  async function succeed(
    account: AccountRecord,
    attempt: LoginAttempt,
    ipHash: string,
    turns: { readonly user: HeldTurn; readonly ip: HeldTurn },
  ): Promise<LoginResult> {
    const passwordHash = await rehashed(account.passwordHash, attempt.password);
    const secondFactor = (await deps.needsSecondFactor?.(account.id)) ?? false;
    if (secondFactor) {
      // Both turns go back, but the failures before them stay: a right password must not clear
      // the count the second factor's wrong codes add to (second-factor.ts), or knowing the
      // password would buy endless guesses at the code.
      await Promise.all([turns.user.release(), turns.ip.release()]);
    } else {
      await recordLoginSuccess(accounts, newEvent, {
        accountId: account.id,
        clientId: attempt.clientId,
        ipHash,
        amr: ['pwd'],
        ipTurn: turns.ip,
        account: turns.user.account,
      });
      metrics.succeeded();
    }
    if (passwordHash !== account.passwordHash) {
      await saveAccountChange(
        accounts,
        account,
        // Only the hash this sign-in verified is replaced: an admin's new password, or the
        // rehash of a sign-in that got there first, stays, and nothing is written.
        (current) =>
          current.passwordHash === account.passwordHash ? { ...current, passwordHash } : undefined,
        () => [],
      );
    }
    return {
      outcome: secondFactor ? 'second_factor' : 'success',
      account: viewOf(account),
      methods: ['pwd'],
    };
  }

  const viewOf = (account: AccountRecord): AccountView => toAccountView(account, clock());

  /**
   * The username's turn: on the account, or on the counter of a username without one (also
   * when the account went away since it was looked up).
   */
  async function usernameTurnOf(
    account: AccountRecord | undefined,
    unknownKey: string,
    now: number,
  ): Promise<{ account: AccountRecord | undefined; turn: Reservation }> {
    const onAccount = account && (await turns.ofAccount(account, now));
    if (onAccount) return { account, turn: onAccount };
    return { account: undefined, turn: await turns.ofUnknownUsername(unknownKey, now) };
  }

  return {
    async authenticate(attempt: LoginAttempt): Promise<LoginResult> {
      const now = clock();
      const ipHash = digest('ip', attempt.ip);
      const ipKey = `ip:${ipHash}`;
      // An IP that spent its budget is refused on a read alone, so a flood from it writes
      // nothing. Refusing on a read is safe (the state was read as refusing); letting through
      // is not, so the turn proper is taken below, atomically.
      if (ipTurn(await throttle.get(ipKey, now), policy, now).refused) return refuse('throttled');

      const usernameKey = usernameKeyOf(attempt.username.slice(0, MAX_USERNAME_INPUT));
      const found = usernameKey === '' ? undefined : await accounts.getByUsernameKey(usernameKey);
      const unknownKey = `user:${digest('username', usernameKey)}`;
      // Likewise a username that is locked or waiting, on what was just read (one read either
      // way: the account, or the counter of a username without one).
      const seen = found
        ? usernameTurn(found.failedLogins, found.lockedUntil, policy, now)
        : usernameTurn(await throttle.get(unknownKey, now), undefined, policy, now);
      if (seen.refused) return refuse(seen.refused);

      // The turns proper (sign-in-reservations.ts), before the password is checked: the
      // username's first, as most refusals of a burst are there; then the IP's.
      const { account, turn: user } = await usernameTurnOf(found, unknownKey, now);
      if (user.refused) return refuse(user.refused);
      const ip = await turns.ofIp(ipKey, now);
      if (ip.refused) {
        await user.held.release();
        return refuse(ip.refused);
      }

      let verified = false;
      try {
        // Same work whether or not the account exists: no timing difference to enumerate by.
        if (account) verified = await hasher.verify(account.passwordHash, attempt.password);
        else await hasher.verifyDummy(attempt.password);
      } catch (error) {
        const notChecked =
          error instanceof Argon2PoolBusyError || error instanceof Argon2PoolUnavailableError;
        if (!notChecked) throw error;
        // The password was never checked: both turns go back for the retry.
        await Promise.all([user.held.release(), ip.held.release()]);
        return { outcome: error instanceof Argon2PoolBusyError ? 'busy' : 'unavailable' };
      }
      if (account && verified && !account.disabled) {
        return succeed(account, attempt, ipHash, { user: user.held, ip: ip.held });
      }

      const reason: LoginFailureReason = !account
        ? 'unknown_user'
        : verified
          ? 'account_disabled'
          : 'wrong_password';
      // Both turns stay counted as failures; the event reports the username's window as it
      // stood once this attempt was counted in it.
      const window: FailureWindow = user.held.counted;
      metrics.failed(reason === 'account_disabled' ? 'disabled' : 'invalid_credentials');
      await deps.outbox.append([
        newEvent({
          type: 'tessera.login.failed',
          subject: account?.id ?? 'unknown',
          data: {
            reason,
            account_id: account?.id ?? null,
            client_id: attempt.clientId ?? null,
            ip_hash: ipHash,
            failures: window.count,
            locked: lockedUntilFor(window, policy) !== undefined,
          },
        }),
      ]);
      if (window.count === policy.lockoutAfter) metrics.lockedOut();
      return { outcome: 'invalid_credentials' };
    },
  };
}
