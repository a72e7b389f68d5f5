import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Argon2Task } from '../../src/services/passwords/argon2-pool.ts';
import { startAccountHarness, type AccountHarness } from '../helpers/account-harness.ts';

const PASSWORD = 'correct horse battery staple';
const MINUTE = 60_000;

describe('authentication', () => {
  let h: AccountHarness;
  let aliceId: string;
  beforeEach(async () => {
    h = startAccountHarness();
    aliceId = (await h.accounts.create({ username: 'Alice', password: PASSWORD })).id;
  });
  afterEach(() => h.stop());

  const attempt = (username: string, password: string, ip = '192.0.2.1') =>
    h.accounts.authenticate({ username, password, ip, clientId: 'cl_app' });

  it('signs in with the right password, whatever the username case', async () => {
    const result = await attempt('aLICE', PASSWORD);
    expect(result).toEqual({
      outcome: 'success',
      account: expect.objectContaining({ id: aliceId, username: 'Alice' }),
      methods: ['pwd'],
    });
  });

  it('answers invalid_credentials alike for a wrong password, an unknown user and a disabled account', async () => {
    const disabled = await h.accounts.create({ username: 'dora', password: PASSWORD });
    await h.accounts.setDisabled(disabled.id, true);
    expect(await attempt('alice', 'wrong password!')).toEqual({ outcome: 'invalid_credentials' });
    expect(await attempt('nobody', PASSWORD)).toEqual({ outcome: 'invalid_credentials' });
    expect(await attempt('dora', PASSWORD)).toEqual({ outcome: 'invalid_credentials' });
  });

  it('records why each attempt failed, without the password or the typed username', async () => {
    const disabled = await h.accounts.create({ username: 'dora', password: PASSWORD });
    await h.accounts.setDisabled(disabled.id, true);
    await attempt('alice', 'wrong password!');
    await attempt('nobody-typo', PASSWORD);
    await attempt('dora', PASSWORD);
    const failed = await h.events('tessera.login.failed');
    expect(failed.map((event) => [event.subject, event.data.reason])).toEqual([
      [disabled.id, 'account_disabled'],
      ['unknown', 'unknown_user'],
      [aliceId, 'wrong_password'],
    ]);
    for (const event of failed) {
      expect(event.data).toMatchObject({ client_id: 'cl_app', ip_hash: expect.any(String) });
      const text = JSON.stringify(event);
      for (const secret of [PASSWORD, 'wrong password!', 'nobody-typo', '192.0.2.1']) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it('records a successful sign-in with the account as subject', async () => {
    await attempt('alice', PASSWORD);
    const [event] = await h.events('tessera.login.succeeded');
    expect(event).toMatchObject({
      subject: aliceId,
      key: aliceId,
      data: { account_id: aliceId, client_id: 'cl_app', ip_hash: expect.any(String) },
    });
  });

  it('runs one argon2 verification for an unknown user, as for a wrong password', async () => {
    const before = h.derivations();
    await attempt('alice', 'wrong password!');
    const afterKnown = h.derivations();
    await attempt('nobody', 'wrong password!');
    expect(afterKnown - before).toBe(1);
    expect(h.derivations() - afterKnown).toBe(1);
  });

  // What makes the two take the same time is the same work, which is what is compared: timing
  // them would measure the machine's load as much as the code.
  it('spends on an unknown user the argon2 work of a wrong password: same cost, salt and tag sizes', async () => {
    // A cost of its own, so that a dummy check with a cost of its own would show.
    const cost = { memoryKib: 8192, iterations: 2, parallelism: 1 };
    const accounts = h.rebuild({ argon2: cost });
    await accounts.create({ username: 'carol', password: PASSWORD });
    const costOf = ({
      memoryKib,
      iterations,
      parallelism,
      tagLength,
      nonce,
      message,
    }: Argon2Task) => ({
      memoryKib,
      iterations,
      parallelism,
      tagLength,
      saltBytes: nonce.length,
      message,
    });
    const before = h.derivationTasks().length;
    for (const username of ['carol', 'nobody']) {
      await accounts.authenticate({ username, password: 'wrong!', ip: '10.0.0.1', clientId: 'c' });
    }
    const [known, unknown] = h.derivationTasks().slice(before).map(costOf);
    expect(known).toMatchObject(cost);
    expect(unknown).toEqual(known);
  });

  it('makes the sixth attempt wait after five failures, even with the right password', async () => {
    for (let i = 0; i < 5; i += 1) await attempt('alice', `wrong ${i}`);
    expect(await attempt('alice', PASSWORD)).toEqual({ outcome: 'throttled' });
    h.clock.advance(1000);
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
  });

  it('doubles the wait with each further failure', async () => {
    for (let i = 0; i < 5; i += 1) await attempt('alice', `wrong ${i}`);
    h.clock.advance(1000);
    await attempt('alice', 'wrong 6');
    h.clock.advance(1999);
    expect((await attempt('alice', PASSWORD)).outcome).toBe('throttled');
    h.clock.advance(1);
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
  });

  it('locks the account after ten failures within the window, for fifteen minutes', async () => {
    for (let i = 0; i < 10; i += 1) {
      await attempt('alice', `wrong ${i}`);
      h.clock.advance(20_000); // past every delay, still inside the 15-minute window
    }
    const view = await h.accounts.get(aliceId);
    expect(view.lockedUntil).toBeGreaterThan(h.clock());
    expect(await attempt('alice', PASSWORD)).toEqual({ outcome: 'throttled' });
    h.clock.advance(15 * MINUTE);
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
    expect((await h.accounts.get(aliceId)).lockedUntil).toBeUndefined();
  });

  it('marks the failure that locks the account in its event', async () => {
    for (let i = 0; i < 10; i += 1) {
      await attempt('alice', `wrong ${i}`);
      h.clock.advance(20_000);
    }
    const [latest, before] = await h.events('tessera.login.failed');
    expect(latest?.data).toMatchObject({ failures: 10, locked: true });
    expect(before?.data).toMatchObject({ failures: 9, locked: false });
  });

  it('lifts a lockout when an administrator unlocks the account', async () => {
    for (let i = 0; i < 10; i += 1) {
      await attempt('alice', `wrong ${i}`);
      h.clock.advance(20_000);
    }
    const unlocked = await h.accounts.unlock(aliceId);
    expect(unlocked.lockedUntil).toBeUndefined();
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
  });

  it('forgets failures older than the window', async () => {
    for (let i = 0; i < 4; i += 1) await attempt('alice', `wrong ${i}`);
    h.clock.advance(15 * MINUTE);
    for (let i = 0; i < 4; i += 1) await attempt('alice', `wrong again ${i}`);
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
  });

  it('clears the failure count on success', async () => {
    for (let i = 0; i < 4; i += 1) await attempt('alice', `wrong ${i}`);
    await attempt('alice', PASSWORD);
    for (let i = 0; i < 4; i += 1) await attempt('alice', `wrong again ${i}`);
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
  });

  it('throttles an unknown username exactly like an existing one', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect(await attempt('nobody', `wrong ${i}`)).toEqual({ outcome: 'invalid_credentials' });
    }
    expect(await attempt('nobody', PASSWORD)).toEqual({ outcome: 'throttled' });
    h.clock.advance(1000);
    expect(await attempt('nobody', PASSWORD)).toEqual({ outcome: 'invalid_credentials' });
  });

  it('hands both sign-in state changes of a success the account as the store holds it', async () => {
    await attempt('alice', 'wrong password!');
    // Each sign-in state change, and whether the guess it was given was the stored version.
    const changes: string[] = [];
    const store = h.storage.accounts;
    const change = store.changeSignInState.bind(store);
    store.changeSignInState = async (id, decide, options) => {
      const stored = await store.get(id);
      changes.push(options?.guess?.version === stored?.version ? 'fresh guess' : 'read');
      return change(id, decide, options);
    };
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
    expect(changes).toEqual(['fresh guess', 'fresh guess']);
    expect((await store.get(aliceId))?.failedLogins).toBeUndefined();
  });

  it('counts concurrent failures on one account without losing any', async () => {
    await Promise.all(Array.from({ length: 4 }, (_, i) => attempt('alice', `wrong ${i}`)));
    const stored = await h.storage.accounts.get(aliceId);
    expect(stored?.failedLogins?.count).toBe(4);
  });

  it('refuses a client IP after its failure budget, for every username, until the window ends', async () => {
    const strict = h.rebuild({ policy: { ipMaxFailures: 3 } });
    const from = (ip: string, username: string, password: string) =>
      strict.authenticate({ username, password, ip, clientId: undefined });
    for (const username of ['u1', 'u2', 'u3']) await from('198.51.100.7', username, 'x');
    expect(await from('198.51.100.7', 'alice', PASSWORD)).toEqual({ outcome: 'throttled' });
    expect((await from('198.51.100.8', 'alice', PASSWORD)).outcome).toBe('success');
    h.clock.advance(15 * MINUTE);
    expect((await from('198.51.100.7', 'alice', PASSWORD)).outcome).toBe('success');
  });

  it('rehashes the password at sign-in when the argon2 cost changed', async () => {
    const upgraded = h.rebuild({ argon2: { memoryKib: 8192, iterations: 2, parallelism: 1 } });
    const result = await upgraded.authenticate({
      username: 'alice',
      password: PASSWORD,
      ip: '192.0.2.1',
      clientId: 'cl_app',
    });
    expect(result.outcome).toBe('success');
    const stored = await h.storage.accounts.get(aliceId);
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=8192,t=2,p=1\$/);
    expect((await attempt('alice', PASSWORD)).outcome).toBe('success');
  });

  it('keeps a password an administrator set while a sign-in was rehashing, and writes nothing over it', async () => {
    const upgraded = h.rebuild({ argon2: { memoryKib: 8192, iterations: 2, parallelism: 1 } });
    let reachedRehash!: () => void;
    const rehashReached = new Promise<void>((resolve) => (reachedRehash = resolve));
    let releaseRehash!: () => void;
    const rehashReleased = new Promise<void>((resolve) => (releaseRehash = resolve));
    let derivations = 0;
    h.interceptDerivations(async (run) => {
      derivations += 1;
      // The sign-in's second derivation is its rehash: held until the admin has set a password.
      if (derivations === 2) {
        reachedRehash();
        await rehashReleased;
      }
      return run();
    });
    const signIn = upgraded.authenticate({
      username: 'alice',
      password: PASSWORD,
      ip: '192.0.2.1',
      clientId: 'cl_app',
    });
    await rehashReached;
    await h.accounts.setPassword(aliceId, 'a brand new passphrase');
    const afterAdmin = await h.storage.accounts.get(aliceId);
    const update = vi.spyOn(h.storage.accounts, 'update');
    releaseRehash();
    expect((await signIn).outcome).toBe('success');
    h.interceptDerivations(undefined);

    // Its one try over the version it read is refused; nothing is written after that.
    const written = await Promise.all(
      update.mock.results.map((result) => result.value as Promise<boolean>),
    );
    expect(written).toEqual([false]);
    const stored = await h.storage.accounts.get(aliceId);
    expect(stored?.passwordHash).toBe(afterAdmin?.passwordHash);
    expect((await attempt('alice', 'a brand new passphrase')).outcome).toBe('success');
  });

  it('accepts the password however its accents were composed (NFC)', async () => {
    await h.accounts.create({ username: 'zoe', password: 'cr\u00e8me br\u00fbl\u00e9e' });
    const decomposed = 'cre\u0300me bru\u0302le\u0301e';
    expect((await attempt('zoe', decomposed)).outcome).toBe('success');
  });

  it('counts sign-ins, refusals by reason and lockouts in the metrics', async () => {
    const disabled = await h.accounts.create({ username: 'dora', password: PASSWORD });
    await h.accounts.setDisabled(disabled.id, true);
    await attempt('alice', PASSWORD);
    await attempt('nobody', 'x');
    await attempt('dora', PASSWORD);
    for (let i = 0; i < 10; i += 1) {
      await attempt('alice', `wrong ${i}`);
      h.clock.advance(20_000);
    }
    await attempt('alice', PASSWORD);
    expect(h.metricCalls.slice(0, 3)).toEqual([
      'succeeded',
      'failed:invalid_credentials',
      'failed:disabled',
    ]);
    expect(h.metricCalls.filter((call) => call === 'lockedOut')).toHaveLength(1);
    expect(h.metricCalls.at(-1)).toBe('failed:locked');
  });
});
