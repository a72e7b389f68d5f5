import { afterEach, describe, expect, it } from 'vitest';

import type { LoginThrottleConfig } from '../../src/config/config.ts';
import {
  Argon2PoolBusyError,
  Argon2PoolUnavailableError,
} from '../../src/services/passwords/argon2-pool.ts';
import { startAccountHarnessOn, type AccountHarness } from '../helpers/account-harness.ts';
import { STORAGE_BACKENDS } from '../helpers/storage-backends.ts';

const PASSWORD = 'correct horse battery staple';
const BURST = 40;
const MINUTE = 60_000;

// The acceptance tests of concurrent sign-in throttling, on each store: however many attempts
// arrive at once, no more passwords are checked than the policy has turns for. The harness
// counts the argon2 derivations that actually ran (the clock is frozen: no turn comes back by
// time passing unless a test moves it).
describe.each(STORAGE_BACKENDS)('sign-in bursts (%s store)', (backend) => {
  let h: AccountHarness;
  afterEach(() => h.stop());

  const start = async (policy: Partial<LoginThrottleConfig>) => {
    h = await startAccountHarnessOn(backend, { policy });
    return (await h.accounts.create({ username: 'alice', password: PASSWORD })).id;
  };
  const attempt = (username: string, password: string, ip = '192.0.2.1') =>
    h.accounts.authenticate({ username, password, ip, clientId: 'cl_app' });
  /** `BURST` attempts at once, each from its own IP unless one is given; answers and checks run. */
  const burst = async (username: (index: number) => string, ip?: string) => {
    const before = h.derivations();
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, index) =>
        attempt(username(index), `wrong ${index}`, ip ?? `198.51.100.${index}`),
      ),
    );
    return {
      outcomes: answers.map((answer) => answer.outcome).sort(),
      checks: h.derivations() - before,
    };
  };
  const outcomes = (invalid: number) => [
    ...Array<string>(invalid).fill('invalid_credentials'),
    ...Array<string>(BURST - invalid).fill('throttled'),
  ];

  it('checks 5 of 40 concurrent wrong passwords with a lockout at 5, then refuses the right one', async () => {
    const aliceId = await start({ throttleAfter: 5, lockoutAfter: 5 });
    expect(await burst(() => 'alice')).toEqual({ outcomes: outcomes(5), checks: 5 });

    expect(await attempt('alice', PASSWORD)).toEqual({ outcome: 'throttled' });
    expect(h.metricCalls.at(-1)).toBe('failed:locked');
    expect(h.metricCalls.filter((call) => call === 'lockedOut')).toHaveLength(1);
    const failed = await h.events('tessera.login.failed');
    expect(failed.map((event) => event.data.failures).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(failed.filter((event) => event.data.locked)).toHaveLength(1);
    expect((await h.accounts.get(aliceId)).lockedUntil).toBe(h.clock() + 15 * MINUTE);
  });

  it('answers a burst at a username without an account exactly as at an account', async () => {
    await start({ throttleAfter: 5, lockoutAfter: 5 });
    const known = await burst(() => 'alice');
    const unknown = await burst(() => 'nobody');
    expect(unknown).toEqual(known);
    expect(await attempt('nobody', PASSWORD)).toEqual({ outcome: 'throttled' });
    expect(h.metricCalls.at(-1)).toBe('failed:locked');
  });

  it('lets one attempt of a burst through each delay, no more', async () => {
    await start({ throttleAfter: 3, lockoutAfter: 10 });
    expect((await burst(() => 'alice')).checks).toBe(3);
    h.clock.advance(1000); // the delay after 3 failures
    expect((await burst(() => 'alice')).checks).toBe(1);
    h.clock.advance(1999); // not yet the 2 s after 4 failures
    expect((await burst(() => 'alice')).checks).toBe(0);
    h.clock.advance(1);
    expect((await burst(() => 'alice')).checks).toBe(1);
  });

  it('checks 5 of 40 concurrent attempts from one IP at many usernames, with 5 allowed per IP', async () => {
    await start({ ipMaxFailures: 5 });
    await h.accounts.create({ username: 'bob', password: PASSWORD });
    const usernames = (index: number) => (index % 4 === 0 ? 'bob' : `nobody-${index}`);
    expect(await burst(usernames, '203.0.113.9')).toEqual({ outcomes: outcomes(5), checks: 5 });

    expect(await attempt('alice', PASSWORD, '203.0.113.9')).toEqual({ outcome: 'throttled' });
    expect(h.metricCalls.at(-1)).toBe('failed:throttled');
    expect((await attempt('alice', PASSWORD, '203.0.113.10')).outcome).toBe('success');
  });

  it('gives the turns back of attempts no argon2 worker could check', async () => {
    await start({ throttleAfter: 1, lockoutAfter: 1, ipMaxFailures: 1 });
    h.interceptDerivations(() => Promise.reject(new Argon2PoolBusyError('queue full')));
    expect(await attempt('alice', 'wrong')).toEqual({ outcome: 'busy' });
    h.interceptDerivations(() => Promise.reject(new Argon2PoolUnavailableError('no worker')));
    expect(await attempt('alice', 'wrong')).toEqual({ outcome: 'unavailable' });
    h.interceptDerivations(undefined);
    // One turn per account and per IP: had either attempt kept its turn, this would be refused.
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
  });

  describe('an attempt whose password check never ends (its process died)', () => {
    /** Starts an attempt whose derivation never returns; resolves once it holds its turns. */
    const stuckAttempt = async () => {
      let started!: () => void;
      const holding = new Promise<void>((resolve) => (started = resolve));
      let die!: (error: Error) => void;
      h.interceptDerivations(() => {
        started();
        return new Promise((_, reject) => (die = reject));
      });
      const settled = attempt('alice', 'wrong').catch((error: unknown) => error);
      await holding;
      h.interceptDerivations(undefined);
      return async () => {
        die(new Error('process died'));
        expect(await settled).toEqual(new Error('process died'));
      };
    };

    it('keeps its turn counted as a failure until its lockout ends', async () => {
      const aliceId = await start({ throttleAfter: 1, lockoutAfter: 1 });
      const end = await stuckAttempt();
      expect(await attempt('alice', PASSWORD)).toEqual({ outcome: 'throttled' });
      expect((await h.accounts.get(aliceId)).lockedUntil).toBe(h.clock() + 15 * MINUTE);
      h.clock.advance(15 * MINUTE);
      expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
      await end();
    });

    it('has its turn cleared by an administrator unlocking the account', async () => {
      const aliceId = await start({ throttleAfter: 1, lockoutAfter: 1 });
      const end = await stuckAttempt();
      await h.accounts.unlock(aliceId);
      expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
      await end();
    });
  });
});
