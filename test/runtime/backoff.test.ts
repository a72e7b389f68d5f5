import { describe, expect, it } from 'vitest';

import { backoffDelay, createBackoff } from '../../src/runtime/backoff.ts';

const POLICY = { initialMs: 100, maxMs: 1_000 };

describe('exponential backoff', () => {
  it('starts at the initial delay and doubles with each retry', () => {
    expect([0, 1, 2, 3].map((retry) => backoffDelay(POLICY, retry))).toEqual([100, 200, 400, 800]);
  });

  it('never waits longer than the cap, however many retries came before', () => {
    expect([4, 5, 30, 31, 10_000].map((retry) => backoffDelay(POLICY, retry))).toEqual([
      1_000, 1_000, 1_000, 1_000, 1_000,
    ]);
  });

  it('with jitter, waits a whole number of ms from 0 up to, not including, the delay', () => {
    const jittered = { ...POLICY, jitter: true };
    expect(backoffDelay(jittered, 2, () => 0)).toBe(0);
    expect(backoffDelay(jittered, 2, () => 0.5)).toBe(200);
    expect(backoffDelay(jittered, 2, () => 0.999_999)).toBe(399);
    expect(backoffDelay(jittered, 9, () => 0.999_999)).toBe(999);
  });

  it('counts consecutive failures and starts again from the initial delay after a reset', () => {
    const backoff = createBackoff(POLICY);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 400]);
    expect(backoff.failures).toBe(3);
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it('draws the jitter from the random source it is given', () => {
    const draws = [0.25, 0.75];
    const backoff = createBackoff({ ...POLICY, jitter: true }, () => draws.shift() ?? 0);
    expect([backoff.next(), backoff.next()]).toEqual([25, 150]);
  });
});
