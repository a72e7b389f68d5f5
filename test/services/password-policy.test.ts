import { describe, expect, it } from 'vitest';

import { AppError } from '../../src/services/app-error.ts';
import { assertAcceptablePassword } from '../../src/services/passwords/password-policy.ts';

/** The refusal's message, or undefined when the password is accepted. */
function refusalOf(password: string, username?: string): string | undefined {
  try {
    assertAcceptablePassword(password, username);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'validation_failed', field: 'password' });
    return (error as AppError).message;
  }
}

describe('password policy', () => {
  it.each([
    ['one character repeated', 'aaaaaaaa'],
    ['one character repeated, in another case', 'ZZZZZZZZZZ'],
    ['a digit sequence', '34567890'],
    ['a descending digit sequence', '98765432'],
    ['an alphabet run', 'bcdefghi'],
    ['a descending alphabet run', 'zyxwvuts'],
    ['a keyboard row', 'wertyuio'],
    ['a keyboard row backwards', 'lkjhgfds'],
    ['a short unit repeated', 'xyxyxyxyxy'],
    ['a unit of four repeated three times', 'zqjkzqjkzqjk'],
    ['a word with a digit run', 'dragon1234'],
    ['a word with a repeated symbol', 'letmein!!!'],
    ['runs of several kinds together', 'aaaa1234qwer'],
  ])('refuses %s as too predictable', (_why, password) => {
    expect(refusalOf(password)).toMatch(/^password is too predictable/);
  });

  it.each([
    ['a common password in another case', 'PASSWORD'],
    ['a common password with digits added', 'football2024'],
    ['a common password with symbols around it', '!!baseball?'],
  ])('refuses %s as common', (_why, password) => {
    expect(refusalOf(password)).toMatch(/^password is one of the most commonly used/);
  });

  it('refuses the username itself, in any case', () => {
    expect(refusalOf('Bob-The-Builder', 'bob-the-builder')).toBe(
      'password must not be the username',
    );
  });

  it.each([
    ['the username with digits', 'alice2024', 'alice'],
    ['the username twice', 'AliceAlice', 'alice'],
    ['parts of the username', 'smithjohn99', 'john.smith'],
    ['the local part of an email username', 'carol@home!', 'carol@example.com'],
    ['the service name', 'Tessera#1', undefined],
  ])('refuses %s: fewer than 8 other characters', (_why, password, username) => {
    expect(refusalOf(password, username)).toMatch(/^password is built on the username/);
  });

  it.each([
    ['a passphrase', 'correct horse battery staple', undefined],
    ['a random 8-character password', 'kq8#Zp2m', undefined],
    ['ordinary words holding short runs (first, student, point)', 'first student', undefined],
    ['a passphrase holding the username', 'alice in wonderland rocks', 'alice'],
    ['a passphrase in another script', 'пароль-надёжный', undefined],
    ['two digits after a word', 'hunter22', undefined],
    ['a word of repeating syllables', 'mississippi', undefined],
    ['a username part too short to count', 'jo-and-the-river', 'jo.smith'],
  ])('accepts %s', (_why, password, username) => {
    expect(refusalOf(password, username)).toBeUndefined();
  });

  it('never repeats the password or the matched part in its message', () => {
    for (const [password, username] of [
      ['dragon1234', undefined],
      ['alice2024', 'alice'],
      ['football2024', undefined],
    ] as const) {
      const message = refusalOf(password, username) ?? '';
      expect(message).not.toContain(password);
      expect(message).not.toMatch(/dragon|alice|football|2024|1234/);
    }
  });
});
