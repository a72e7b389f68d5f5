import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AppError } from '../../src/services/app-error.ts';
import { startAccountHarness, type AccountHarness } from '../helpers/account-harness.ts';

const PASSWORD = 'correct horse battery staple';

async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError');
}

describe('account service', () => {
  let h: AccountHarness;
  beforeEach(() => {
    h = startAccountHarness();
  });
  afterEach(() => h.stop());

  it('creates an account and returns it without any secret', async () => {
    const view = await h.accounts.create({
      username: 'Alice',
      password: PASSWORD,
      email: 'alice@example.com',
      emailVerified: true,
      name: 'Alice Liddell',
    });
    expect(view).toEqual({
      id: expect.stringMatching(/^acc_[A-Za-z0-9_-]+$/),
      username: 'Alice',
      email: 'alice@example.com',
      emailVerified: true,
      name: 'Alice Liddell',
      disabled: false,
      lockedUntil: undefined,
      createdAt: h.clock(),
      updatedAt: h.clock(),
    });
    expect(view.id).not.toContain('.');
    expect(JSON.stringify(view)).not.toContain(PASSWORD);
    expect(await h.accounts.get(view.id)).toEqual(view);
  });

  it('stores the password only as an argon2id PHC hash', async () => {
    const view = await h.accounts.create({ username: 'alice', password: PASSWORD });
    const stored = await h.storage.accounts.get(view.id);
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=7168,t=1,p=1\$/);
    expect(JSON.stringify(stored)).not.toContain(PASSWORD);
  });

  it('refuses a username that differs from a taken one only in case', async () => {
    await h.accounts.create({ username: 'alice', password: PASSWORD });
    const error = await appErrorOf(h.accounts.create({ username: 'ALICE', password: PASSWORD }));
    expect(error).toMatchObject({ code: 'conflict', field: 'username' });
  });

  it('refuses a username that looks like a taken one, saying so', async () => {
    await h.accounts.create({ username: 'alice', password: PASSWORD });
    // Wholly Cyrillic: а, ӏ, і, с, е.
    const error = await appErrorOf(
      h.accounts.create({ username: '\u0430\u04cf\u0456\u0441\u0435', password: PASSWORD }),
    );
    expect(error).toMatchObject({ code: 'conflict', field: 'username' });
    expect(error.message).toMatch(/looks too much like an existing username/);
    expect(
      await h.storage.accounts.getByUsernameKey('\u0430\u04cf\u0456\u0441\u0435'),
    ).toBeUndefined();
  });

  it('stores the username width-mapped, with its key and skeleton', async () => {
    const view = await h.accounts.create({ username: 'Ｂｏｂ', password: PASSWORD });
    expect(view.username).toBe('Bob');
    expect(await h.storage.accounts.get(view.id)).toMatchObject({
      username: 'Bob',
      usernameKey: 'bob',
      usernameSkeleton: 'bob',
    });
  });

  it.each([
    ['too short', 'short1!'],
    ['too long', 'x'.repeat(129)],
    ['one of the most common passwords', 'Password123'],
    ['the username', 'bob-the-builder'],
  ])('refuses a password that is %s', async (_why, password) => {
    const error = await appErrorOf(h.accounts.create({ username: 'bob-the-builder', password }));
    expect(error).toMatchObject({ code: 'validation_failed', field: 'password' });
  });

  it('accepts a password of exactly 8 and of exactly 128 characters', async () => {
    await h.accounts.create({ username: 'eight', password: 'kq8#Zp2m' });
    // Not one character repeated: that is refused as predictable, whatever its length.
    const long = 'correct horse battery staple, '.repeat(5).slice(0, 128);
    await h.accounts.create({ username: 'long', password: long });
  });

  it.each([
    ['empty', '   '],
    ['with a space', 'alice smith'],
    ['too long', 'a'.repeat(65)],
  ])('refuses a username that is %s', async (_why, username) => {
    const error = await appErrorOf(h.accounts.create({ username, password: PASSWORD }));
    expect(error).toMatchObject({ code: 'validation_failed', field: 'username' });
  });

  it('refuses an invalid email address', async () => {
    const error = await appErrorOf(
      h.accounts.create({ username: 'alice', password: PASSWORD, email: 'not-an-email' }),
    );
    expect(error).toMatchObject({ code: 'validation_failed', field: 'email' });
  });

  it('answers not_found for an unknown account id', async () => {
    expect(await appErrorOf(h.accounts.get('acc_nope'))).toMatchObject({ code: 'not_found' });
    expect(await appErrorOf(h.accounts.unlock('acc_nope'))).toMatchObject({ code: 'not_found' });
  });

  it('lists accounts a page at a time and searches them', async () => {
    const ids: string[] = [];
    for (const username of ['carol', 'alice', 'bob']) {
      ids.push((await h.accounts.create({ username, password: PASSWORD })).id);
    }
    ids.sort();
    const first = await h.accounts.list({ limit: 2 });
    expect(first.map((a) => a.id)).toEqual(ids.slice(0, 2));
    const rest = await h.accounts.list({ limit: 2, after: first[1]!.id });
    expect(rest.map((a) => a.id)).toEqual(ids.slice(2));
    expect((await h.accounts.list({ limit: 10, search: 'BO' })).map((a) => a.username)).toEqual([
      'bob',
    ]);
  });

  it('refuses a list limit outside 1 to 500', async () => {
    expect(await appErrorOf(h.accounts.list({ limit: 0 }))).toMatchObject({ field: 'limit' });
    expect(await appErrorOf(h.accounts.list({ limit: 501 }))).toMatchObject({ field: 'limit' });
  });

  it('disables and enables an account', async () => {
    const { id } = await h.accounts.create({ username: 'alice', password: PASSWORD });
    h.clock.advance(1000);
    const disabled = await h.accounts.setDisabled(id, true);
    expect(disabled).toMatchObject({ disabled: true, updatedAt: h.clock() });
    expect((await h.accounts.setDisabled(id, false)).disabled).toBe(false);
  });

  it('changes the password: the new one signs in, the old one no longer does', async () => {
    const { id } = await h.accounts.create({ username: 'alice', password: PASSWORD });
    await h.accounts.setPassword(id, 'a whole new passphrase');
    const attempt = (password: string) =>
      h.accounts.authenticate({ username: 'alice', password, ip: '10.0.0.1', clientId: 'c' });
    expect((await attempt(PASSWORD)).outcome).toBe('invalid_credentials');
    expect((await attempt('a whole new passphrase')).outcome).toBe('success');
  });

  it('refuses a weak new password naming the password field', async () => {
    const { id } = await h.accounts.create({ username: 'alice', password: PASSWORD });
    const error = await appErrorOf(h.accounts.setPassword(id, 'password'));
    expect(error).toMatchObject({ code: 'validation_failed', field: 'password' });
  });
});
