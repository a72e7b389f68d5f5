import { describe, expect, it } from 'vitest';

import {
  delayAfter,
  ipTurn,
  lockedUntilFor,
  signInStateWith,
  signInStateWithout,
  usernameTurn,
  windowWithout,
} from '../../src/services/login-throttle-policy.ts';
import { DEFAULT_POLICY as policy } from '../helpers/account-harness.ts';

const T = 1_000_000;

describe('login throttle policy', () => {
  it('adds no delay before five failures, then 1 s doubling, capped at 5 minutes', () => {
    expect([4, 5, 6, 7, 9].map((n) => delayAfter(n, policy))).toEqual([
      0, 1000, 2000, 4000, 16_000,
    ]);
    expect(delayAfter(40, policy)).toBe(300_000);
  });

  it('locks for the lockout duration from the failure that reaches the threshold', () => {
    expect(lockedUntilFor({ count: 9, firstAt: T, lastAt: T + 5 }, policy)).toBeUndefined();
    expect(lockedUntilFor({ count: 10, firstAt: T, lastAt: T + 5 }, policy)).toBe(
      T + 5 + policy.lockoutMs,
    );
  });

  it('counts a username attempt in the current window, or starts a new one', () => {
    expect(usernameTurn(undefined, undefined, policy, T)).toEqual({
      counted: { count: 1, firstAt: T, lastAt: T },
    });
    expect(usernameTurn({ count: 2, firstAt: T, lastAt: T + 1 }, undefined, policy, T + 9)).toEqual(
      { counted: { count: 3, firstAt: T, lastAt: T + 9 } },
    );
    const passed = T + policy.failureWindowMs;
    expect(
      usernameTurn({ count: 9, firstAt: T, lastAt: T + 1 }, undefined, policy, passed),
    ).toEqual({ counted: { count: 1, firstAt: passed, lastAt: passed } });
  });

  it('refuses a username during its delay, and not after', () => {
    const window = { count: 6, firstAt: T, lastAt: T };
    expect(usernameTurn(window, undefined, policy, T + 1999)).toEqual({ refused: 'throttled' });
    expect(usernameTurn(window, undefined, policy, T + 2000).counted?.count).toBe(7);
  });

  it('refuses a locked username, by its lock or by the lock its window earned', () => {
    expect(usernameTurn(undefined, T + 50, policy, T)).toEqual({ refused: 'locked' });
    // The earned lock outlasts the window when the lockout is the longer.
    const longer = { ...policy, lockoutMs: 2 * policy.failureWindowMs };
    const locking = { count: 10, firstAt: T, lastAt: T };
    expect(usernameTurn(locking, undefined, longer, T + policy.failureWindowMs)).toEqual({
      refused: 'locked',
    });
    expect(usernameTurn(locking, undefined, longer, T + longer.lockoutMs).counted?.count).toBe(1);
  });

  it('refuses an IP that spent its budget until its window ends', () => {
    const spent = { count: policy.ipMaxFailures, firstAt: T, lastAt: T + 10 };
    expect(ipTurn(spent, policy, T + 20)).toEqual({ refused: 'throttled' });
    expect(ipTurn({ ...spent, count: spent.count - 1 }, policy, T + 20).counted?.count).toBe(
      policy.ipMaxFailures,
    );
    expect(ipTurn(spent, policy, T + policy.failureWindowMs).counted?.count).toBe(1);
  });

  it('gives a turn back: one fewer, and the latest time as it was when none came since', () => {
    const before = { count: 6, firstAt: T, lastAt: T + 1 };
    const counted = { count: 7, firstAt: T, lastAt: T + 5000 };
    expect(windowWithout(counted, counted, before)).toEqual(before);
    const later = { count: 8, firstAt: T, lastAt: T + 9000 };
    expect(windowWithout(later, counted, before)).toEqual({ ...later, count: 7 });
  });

  it('gives nothing back once the window it was counted in was cleared or restarted', () => {
    const counted = { count: 1, firstAt: T, lastAt: T };
    expect(windowWithout(undefined, counted, undefined)).toBeUndefined();
    expect(windowWithout({ count: 3, firstAt: T + 1, lastAt: T + 1 }, counted, undefined)).toBe(
      undefined,
    );
    expect(windowWithout(counted, counted, undefined)).toEqual({ ...counted, count: 0 });
  });

  it('takes back the lock an attempt set when it gives its turn back', () => {
    const before = { failedLogins: { count: 9, firstAt: T, lastAt: T }, lockedUntil: undefined };
    const counted = { count: 10, firstAt: T, lastAt: T + 7 };
    const locked = signInStateWith(counted, before, policy);
    expect(locked.lockedUntil).toBe(T + 7 + policy.lockoutMs);
    expect(signInStateWithout(locked, counted, before, policy)).toEqual(before);
  });

  it('drops the window of an account whose only attempt gave its turn back', () => {
    const before = { failedLogins: undefined, lockedUntil: undefined };
    const counted = { count: 1, firstAt: T, lastAt: T };
    const state = signInStateWith(counted, before, policy);
    expect(signInStateWithout(state, counted, before, policy)).toEqual(before);
  });
});
