import type { LoginThrottleConfig } from '../config/config.ts';
import type { FailureWindow, SignInState } from '../ports/accounts.ts';
import { backoffDelay, type BackoffPolicy } from '../runtime/backoff.ts';

/** The extra wait once throttling starts, doubling with each further failure, up to 5 minutes. */
const DELAYS: BackoffPolicy = { initialMs: 1000, maxMs: 5 * 60_000 };

const isCurrent = (window: FailureWindow, policy: LoginThrottleConfig, now: number) =>
  now - window.firstAt < policy.failureWindowMs;

/** Why an attempt was refused before its password was checked (as the metrics name it). */
export type Refusal = 'locked' | 'throttled';

/** An attempt's turn: the window with the attempt counted in it, or why it gets none. */
export type TurnDecision =
  | { readonly counted: FailureWindow; readonly refused?: never }
  | { readonly refused: Refusal; readonly counted?: never };

/**
 * How long after the latest failure the next attempt must wait: nothing before `throttleAfter`
 * failures, then 1 s, 2 s, 4 s… (capped at 5 minutes) for each further failure in the window.
 */
export function delayAfter(failures: number, policy: LoginThrottleConfig): number {
  if (failures < policy.throttleAfter) return 0;
  return backoffDelay(DELAYS, failures - policy.throttleAfter);
}

/** The lock a window earns: `lockoutAfter` failures lock sign-in for `lockoutMs` from the last. */
export function lockedUntilFor(
  window: FailureWindow,
  policy: LoginThrottleConfig,
): number | undefined {
  return window.count >= policy.lockoutAfter ? window.lastAt + policy.lockoutMs : undefined;
}

/** The window with one more attempt at `now`: the current one, or a new one once it passed. */
const withAttempt = (
  window: FailureWindow | undefined,
  policy: LoginThrottleConfig,
  now: number,
): FailureWindow =>
  window && isCurrent(window, policy, now)
    ? { count: window.count + 1, firstAt: window.firstAt, lastAt: now }
    : { count: 1, firstAt: now, lastAt: now };

/**
 * Whether a username may have an attempt now — an account's, or one without an account: the
 * same rule, so that throttling reveals nothing — and its window with that attempt counted.
 * Refused while locked (an account's `lockedUntil`, or the lock the window itself earned, which
 * outlasts the window when the lockout is the longer), then while the delay since the latest
 * attempt runs. The attempt is counted before its password is checked, so that attempts arriving
 * together cannot all find the same free turn (services/sign-in-reservations.ts).
 */
export function usernameTurn(
  window: FailureWindow | undefined,
  lockedUntil: number | undefined,
  policy: LoginThrottleConfig,
  now: number,
): TurnDecision {
  const earned = window ? lockedUntilFor(window, policy) : undefined;
  if (Math.max(lockedUntil ?? 0, earned ?? 0) > now) return { refused: 'locked' };
  if (window && isCurrent(window, policy, now)) {
    if (window.lastAt + delayAfter(window.count, policy) > now) return { refused: 'throttled' };
  }
  return { counted: withAttempt(window, policy, now) };
}

/** Whether one client IP may have an attempt now: `ipMaxFailures` per window, then none. */
export function ipTurn(
  window: FailureWindow | undefined,
  policy: LoginThrottleConfig,
  now: number,
): TurnDecision {
  if (window && isCurrent(window, policy, now) && window.count >= policy.ipMaxFailures) {
    return { refused: 'throttled' };
  }
  return { counted: withAttempt(window, policy, now) };
}

/**
 * The window once an attempt whose password was not checked, or that succeeded where only
 * failures count, gives its turn back; undefined when there is nothing to give back (the window
 * it was counted in was cleared or has restarted since). The latest attempt's time goes back to
 * the one before it when no other attempt was counted since, so the delay is as if it never came.
 */
export function windowWithout(
  current: FailureWindow | undefined,
  counted: FailureWindow,
  before: FailureWindow | undefined,
): FailureWindow | undefined {
  if (!current || current.firstAt !== counted.firstAt || current.count < 1) return undefined;
  const lastOne = current.count === counted.count && current.lastAt === counted.lastAt;
  const restore = lastOne && before !== undefined && before.firstAt === counted.firstAt;
  return {
    count: current.count - 1,
    firstAt: current.firstAt,
    lastAt: restore ? before.lastAt : current.lastAt,
  };
}

/** The account's sign-in state with an attempt counted: its window, and the lock it may earn. */
export const signInStateWith = (
  counted: FailureWindow,
  current: SignInState,
  policy: LoginThrottleConfig,
): SignInState => ({
  failedLogins: counted,
  lockedUntil: lockedUntilFor(counted, policy) ?? current.lockedUntil,
});

/**
 * An account's sign-in state once an attempt gives its turn back (see windowWithout): the lock
 * that attempt set goes too, when nothing else set it since.
 */
export function signInStateWithout(
  current: SignInState,
  counted: FailureWindow,
  before: SignInState,
  policy: LoginThrottleConfig,
): SignInState | undefined {
  const window = windowWithout(current.failedLogins, counted, before.failedLogins);
  if (!window) return undefined;
  const setByIt = lockedUntilFor(counted, policy);
  const lockGoes =
    setByIt !== undefined && current.lockedUntil === setByIt && window.count < policy.lockoutAfter;
  return {
    failedLogins: window.count === 0 ? undefined : window,
    lockedUntil: lockGoes ? before.lockedUntil : current.lockedUntil,
  };
}

/** How long a counter must be kept for the rules above to see it. */
export const retentionMs = (policy: LoginThrottleConfig): number =>
  Math.max(policy.failureWindowMs, policy.lockoutMs) + DELAYS.maxMs;
