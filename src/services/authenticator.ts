import { createHmac, createSecretKey } from 'node:crypto';

import type { LoginThrottleConfig } from '../config/config.ts';
import type { EventFactory } from '../events/event-factory.ts';
import type { LoginMetrics } from '../metrics/create-metrics.ts';
import type { AccountRecord, AccountStore, FailureWindow } from '../ports/accounts.ts';
import type { LoginThrottleStore } from '../ports/login-throttle.ts';
import type { OutboxEvent, OutboxStore } from '../ports/outbox.ts';
import { MAX_USERNAME_LENGTH, usernameKeyOf } from './account-rules.ts';
import { saveAccountChange } from './account-update.ts';
import { toAccountView, type AccountView } from './account-view.ts';
import {
  ipRefusedUntil,
  lockedUntilFor,
  retentionMs,
  usernameRefusedUntil,
} from './login-throttle-policy.ts';
import { Argon2PoolBusyError, Argon2PoolUnavailableError } from './passwords/argon2-pool.ts';
import type { PasswordHasher } from './passwords/password-hasher.ts';

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
  | { readonly outcome: 'success'; readonly account: AccountView }
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

  /** Keyed hash, so neither raw IPs nor mistyped usernames are ever stored or published. */
  // A KeyObject once, as client-secrets.ts does: createHmac would import the Buffer every call.
  const pepperKey = createSecretKey(deps.pepper);
  const digest = (purpose: string, value: string) =>
    createHmac('sha256', pepperKey)
      .update(`tessera-login:${purpose}\0${value}`)
      .digest('base64url');

  const countFailure = (key: string, now: number, events: readonly OutboxEvent[] = []) =>
    throttle.recordFailure(
      key,
      { now, windowMs: policy.failureWindowMs, retainUntil: now + retentionMs(policy) },
      { events },
    );

  const nextWindow = (current: FailureWindow | undefined, now: number): FailureWindow =>
    current && now - current.firstAt < policy.failureWindowMs
      ? { count: current.count + 1, firstAt: current.firstAt, lastAt: now }
      : { count: 1, firstAt: now, lastAt: now };

  /** Counts a failure on the account record itself (optimistic update, re-read on conflict). */
  async function recordAccountFailure(
    account: AccountRecord,
    now: number,
    event: (window: FailureWindow) => OutboxEvent,
  ): Promise<void> {
    const saved = await saveAccountChange(
      accounts,
      account,
      (current) => {
        const window = nextWindow(current.failedLogins, now);
        return {
          ...current,
          failedLogins: window,
          lockedUntil: lockedUntilFor(window, policy) ?? current.lockedUntil,
        };
      },
      (next) => [event(next.failedLogins as FailureWindow)],
    );
    if (saved?.failedLogins?.count === policy.lockoutAfter) metrics.lockedOut();
  }

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
  ): Promise<LoginResult> {
    const event = newEvent({
      type: 'tessera.login.succeeded',
      subject: account.id,
      data: { account_id: account.id, client_id: attempt.clientId ?? null, ip_hash: ipHash },
    });
    const passwordHash = await rehashed(account.passwordHash, attempt.password);
    const rehash = passwordHash !== account.passwordHash;
    metrics.succeeded();
    if (!rehash && account.failedLogins === undefined && account.lockedUntil === undefined) {
      await deps.outbox.append([event]);
      return { outcome: 'success', account: viewOf(account) };
    }
    await saveAccountChange(
      accounts,
      account,
      (current) => ({
        ...current,
        // Only the hash this sign-in verified is replaced; an admin's new password wins.
        passwordHash:
          current.passwordHash === account.passwordHash ? passwordHash : current.passwordHash,
        failedLogins: undefined,
        lockedUntil: undefined,
      }),
      () => [event],
    );
    return { outcome: 'success', account: viewOf(account) };
  }

  const viewOf = (account: AccountRecord): AccountView => toAccountView(account, clock());

  return {
    async authenticate(attempt: LoginAttempt): Promise<LoginResult> {
      const now = clock();
      const ipHash = digest('ip', attempt.ip);
      const ipKey = `ip:${ipHash}`;
      if (ipRefusedUntil(await throttle.get(ipKey, now), policy, now) !== undefined) {
        metrics.failed('throttled');
        return { outcome: 'throttled' };
      }

      const usernameKey = usernameKeyOf(attempt.username.slice(0, MAX_USERNAME_INPUT));
      const account = usernameKey === '' ? undefined : await accounts.getByUsernameKey(usernameKey);
      const unknownKey = `user:${digest('username', usernameKey)}`;
      const unknownWindow = account ? undefined : await throttle.get(unknownKey, now);
      const refusedUntil = account
        ? usernameRefusedUntil(account.failedLogins, account.lockedUntil, policy, now)
        : usernameRefusedUntil(unknownWindow, undefined, policy, now);
      if (refusedUntil !== undefined) {
        const window = account ? account.failedLogins : unknownWindow;
        const locked =
          (account?.lockedUntil ?? 0) > now ||
          (window !== undefined && (lockedUntilFor(window, policy) ?? 0) > now);
        metrics.failed(locked ? 'locked' : 'throttled');
        return { outcome: 'throttled' };
      }

      let verified = false;
      try {
        // Same work whether or not the account exists: no timing difference to enumerate by.
        if (account) verified = await hasher.verify(account.passwordHash, attempt.password);
        else await hasher.verifyDummy(attempt.password);
      } catch (error) {
        if (error instanceof Argon2PoolBusyError) return { outcome: 'busy' };
        if (error instanceof Argon2PoolUnavailableError) return { outcome: 'unavailable' };
        throw error;
      }
      if (account && verified && !account.disabled) return succeed(account, attempt, ipHash);

      const reason: LoginFailureReason = !account
        ? 'unknown_user'
        : verified
          ? 'account_disabled'
          : 'wrong_password';
      const failedEvent = (window: FailureWindow) =>
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
        });
      metrics.failed(reason === 'account_disabled' ? 'disabled' : 'invalid_credentials');
      await countFailure(ipKey, now);
      if (account) {
        await recordAccountFailure(account, now, failedEvent);
      } else {
        // The event carries the window as read before counting; a concurrent failure may
        // make the stored count one higher, which only matters for the event's `failures`.
        const counted = await countFailure(unknownKey, now, [
          failedEvent(nextWindow(unknownWindow, now)),
        ]);
        if (counted.count === policy.lockoutAfter) metrics.lockedOut();
      }
      return { outcome: 'invalid_credentials' };
    },
  };
}
