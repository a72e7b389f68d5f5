import { AppError } from '../app-error.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';
import { markRuns, markWords } from './predictable-characters.ts';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/** The name of the service: a context-specific word (NIST SP 800-63B rev. 3 section 5.1.1.2). */
const SERVICE_NAME = 'tessera';
/** Parts of a username shorter than this (`jo`, `a`) are too common to count as derivatives. */
const MIN_USERNAME_PART = 3;

/** Code points of the NFC, lower-cased text: what the rules below compare. */
const charsOf = (text: string): string[] => [...text.normalize('NFC').toLowerCase()];

/** The username and its parts split at `. _ @ + -` (`john.smith@example.com` → john, smith, …). */
function usernameWords(username: string | undefined): string[][] {
  if (username === undefined) return [];
  const lowered = username.normalize('NFC').toLowerCase();
  const parts = lowered.split(/[._@+-]+/u).filter((part) => [...part].length >= MIN_USERNAME_PART);
  return [...new Set([lowered, ...parts])].map((word) => [...word]);
}

const countUnmarked = (covered: readonly boolean[]) => covered.filter((mark) => !mark).length;

/**
 * Tessera's password rules (NIST SP 800-63B; rev. 4 section 3.1.1.2, rev. 3 section 5.1.1.2). No
 * composition rules; lengths and comparisons are on Unicode code points of the NFC form, case
 * ignored. Refused:
 *
 * 1. fewer than 8 or more than 128 characters;
 * 2. one of the most common passwords, or one with only digits and symbols added before or after
 *    it (`Password1!`, `2024football`);
 * 3. the username itself;
 * 4. fewer than 8 characters left once the username, its parts of 3 or more characters and the
 *    service name are taken out (`alice2024`, `john.smith1`): what an attacker who knows the
 *    username must still guess has to meet the minimum length on its own;
 * 5. fewer than 8 characters left once, besides those, every predictable run is taken out —
 *    a character repeated 3 times or more, a unit of 2–4 characters repeated 3 times or more,
 *    3 or more consecutive digits, or 4 or more consecutive letters of the alphabet or of a
 *    keyboard row, forwards or backwards (predictable-characters.ts). `aaaaaaaa`, `12345678`,
 *    `abcdefgh`, `qwertyui`, `dragon1234` and `letmein!!!` are refused; `correct horse battery
 *    staple`, `first student` and a random 8-character password are not.
 *
 * Throws AppError('validation_failed') naming the `password` field; the message says which rule,
 * never which part of the password.
 */
export function assertAcceptablePassword(password: string, username?: string): void {
  const refuse = (message: string): never => {
    throw new AppError('validation_failed', message, { field: 'password' });
  };
  const chars = charsOf(password);
  if (chars.length < MIN_PASSWORD_LENGTH || chars.length > MAX_PASSWORD_LENGTH) {
    refuse(`password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long`);
  }
  const lowered = chars.join('');
  const core = lowered.replace(/^\P{L}+|\P{L}+$/gu, '');
  if (COMMON_PASSWORDS.has(lowered) || COMMON_PASSWORDS.has(core)) {
    refuse(
      'password is one of the most commonly used passwords, or one with a few characters added; choose another',
    );
  }
  if (username !== undefined && lowered === username.normalize('NFC').toLowerCase()) {
    refuse('password must not be the username');
  }

  const covered = chars.map(() => false);
  markWords(chars, [...usernameWords(username), [...SERVICE_NAME]], covered);
  if (countUnmarked(covered) < MIN_PASSWORD_LENGTH) {
    refuse(
      `password is built on the username or the service name: at least ${MIN_PASSWORD_LENGTH} other characters are needed`,
    );
  }
  markRuns(chars, covered);
  if (countUnmarked(covered) < MIN_PASSWORD_LENGTH) {
    refuse(
      `password is too predictable: besides repeated or consecutive characters (like aaa, 123, abcd or qwer) at least ${MIN_PASSWORD_LENGTH} other characters are needed`,
    );
  }
}
