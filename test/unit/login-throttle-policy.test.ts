import { describe, expect, it } from 'vitest';

import {
  delayAfter,
  ipRefusedUntil,
  lockedUntilFor,
  usernameRefusedUntil,
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

  it('refuses a username during its delay or its lock, and not after', () => {
    const window = { count: 6, firstAt: T, lastAt: T };
    expect(usernameRefusedUntil(window, undefined, policy, T + 1999)).toBe(T + 2000);
    expect(usernameRefusedUntil(window, undefined, policy, T + 2000)).toBeUndefined();
    expect(usernameRefusedUntil(undefined, T + 50, policy, T)).toBe(T + 50);
  });

  it('ignores a window that has passed', () => {
    const window = { count: 9, firstAt: T, lastAt: T + 1 };
    expect(
      usernameRefusedUntil(window, undefined, policy, T + policy.failureWindowMs),
    ).toBeUndefined();
  });

  it('refuses an IP that spent its budget until its window ends', () => {
    const spent = { count: policy.ipMaxFailures, firstAt: T, lastAt: T + 10 };
    expect(ipRefusedUntil(spent, policy, T + 20)).toBe(T + policy.failureWindowMs);
    expect(ipRefusedUntil({ ...spent, count: spent.count - 1 }, policy, T + 20)).toBeUndefined();
    expect(ipRefusedUntil(spent, policy, T + policy.failureWindowMs)).toBeUndefined();
  });
});
