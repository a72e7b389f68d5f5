import type { LoginThrottleConfig } from '../config/config.ts';
import type { FailureWindow } from '../ports/accounts.ts';

/** First extra wait once throttling starts; it doubles with each further failure. */
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 5 * 60_000;

const isCurrent = (window: FailureWindow, policy: LoginThrottleConfig, now: number) =>
  now - window.firstAt < policy.failureWindowMs;

/**
 * How long after the latest failure the next attempt must wait: nothing before `throttleAfter`
 * failures, then 1 s, 2 s, 4 s… (capped at 5 minutes) for each further failure in the window.
 */
export function delayAfter(failures: number, policy: LoginThrottleConfig): number {
  if (failures < policy.throttleAfter) return 0;
  return Math.min(BASE_DELAY_MS * 2 ** (failures - policy.throttleAfter), MAX_DELAY_MS);
}

/** The lock a window earns: `lockoutAfter` failures lock sign-in for `lockoutMs` from the last. */
export function lockedUntilFor(
  window: FailureWindow,
  policy: LoginThrottleConfig,
): number | undefined {
  return window.count >= policy.lockoutAfter ? window.lastAt + policy.lockoutMs : undefined;
}

/**
 * Until when a username's sign-in attempts are refused without checking the password: a lockout,
 * or the growing delay while failures pile up. Undefined when an attempt may go ahead.
 */
export function usernameRefusedUntil(
  window: FailureWindow | undefined,
  lockedUntil: number | undefined,
  policy: LoginThrottleConfig,
  now: number,
): number | undefined {
  if (lockedUntil !== undefined && lockedUntil > now) return lockedUntil;
  if (!window || !isCurrent(window, policy, now)) return undefined;
  const until = window.lastAt + delayAfter(window.count, policy);
  return until > now ? until : undefined;
}

/** Until when one client IP is refused: `ipMaxFailures` failures end its window early. */
export function ipRefusedUntil(
  window: FailureWindow | undefined,
  policy: LoginThrottleConfig,
  now: number,
): number | undefined {
  if (!window || !isCurrent(window, policy, now) || window.count < policy.ipMaxFailures) {
    return undefined;
  }
  return window.firstAt + policy.failureWindowMs;
}

/** How long a counter must be kept for the rules above to see it. */
export const retentionMs = (policy: LoginThrottleConfig): number =>
  Math.max(policy.failureWindowMs, policy.lockoutMs) + MAX_DELAY_MS;
