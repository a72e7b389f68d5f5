import { z } from 'zod';

import { AppError } from './app-error.ts';
import { assertSafeDisplayText } from './display-text.ts';

export const MAX_USERNAME_LENGTH = 64;
const MAX_NAME_LENGTH = 200;
const MAX_EMAIL_LENGTH = 254;

/** Letters and digits of any script, and `. _ @ + -` (so an email address works as a username). */
const USERNAME = /^[\p{L}\p{M}\p{N}._@+-]+$/u;

const refuse = (field: string, message: string): never => {
  throw new AppError('validation_failed', message, { field });
};

/**
 * The lookup key of a username: NFKC-normalised and lower-cased, so that `Alice`, `ALICE` and a
 * full-width `Ａｌｉｃｅ` are one account (Unicode TR 15 compatibility normalisation).
 */
export const usernameKeyOf = (username: string): string =>
  username.trim().normalize('NFKC').toLowerCase();

/** A username as stored and shown: trimmed and NFC-normalised; throws when unusable. */
export function normaliseUsername(username: string): string {
  const trimmed = username.trim().normalize('NFC');
  const length = [...trimmed].length;
  if (length < 1 || length > MAX_USERNAME_LENGTH) {
    refuse('username', `username must be 1 to ${MAX_USERNAME_LENGTH} characters long`);
  }
  if (!USERNAME.test(trimmed)) {
    refuse('username', 'username may contain letters, digits and . _ @ + - only');
  }
  return trimmed;
}

const emailSchema = z.email().max(MAX_EMAIL_LENGTH);

export function normaliseEmail(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const trimmed = email.trim();
  if (trimmed === '') return undefined;
  if (!emailSchema.safeParse(trimmed).success) refuse('email', 'email is not a valid address');
  return trimmed;
}

export function normaliseName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim().normalize('NFC');
  if (trimmed === '') return undefined;
  if ([...trimmed].length > MAX_NAME_LENGTH) {
    refuse('name', `name must be at most ${MAX_NAME_LENGTH} characters long`);
  }
  assertSafeDisplayText(trimmed, 'name');
  return trimmed;
}
