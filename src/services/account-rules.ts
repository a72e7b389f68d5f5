import { z } from 'zod';

import { AppError } from './app-error.ts';
import { assertSafeDisplayText } from './display-text.ts';
import {
  breaksBidiRule,
  codePointOf,
  findDisallowedCharacter,
  mapWidth,
} from './usernames/username-characters.ts';
import { findScriptProblem } from './usernames/username-scripts.ts';

export const MAX_USERNAME_LENGTH = 64;
const MAX_NAME_LENGTH = 200;
const MAX_EMAIL_LENGTH = 254;

const refuse = (field: string, message: string): never => {
  throw new AppError('validation_failed', message, { field });
};

/**
 * The lookup key of a username: what RFC 8265 section 3.3 (PRECIS UsernameCaseMapped) compares —
 * width-mapped, lower-cased (Unicode toLowerCase), then NFC. NFKC stands in for the width
 * mapping: for the usernames normaliseUsername accepts, which hold no other compatibility
 * characters, the two are the same; for older usernames and for what people type at sign-in it
 * also folds ligatures and the like (`ﬁ` → `fi`), as Tessera always has. The NFC after
 * lower-casing is what makes `H̱` and `ẖ` one key: lower-casing a composed string can leave it
 * decomposed. Changing this function changes stored keys: see username-rekey.ts.
 */
export const usernameKeyOf = (username: string): string =>
  username.trim().normalize('NFKC').toLowerCase().normalize('NFC');

/**
 * A new username as stored and shown: trimmed, width-mapped and NFC-normalised (RFC 8265
 * section 3.3.1, preparation); throws AppError('validation_failed', field `username`) when it
 * breaks a rule of username-characters.ts (PRECIS IdentifierClass, Bidi Rule) or
 * username-scripts.ts (one script, one number system).
 */
export function normaliseUsername(input: string): string {
  const username = mapWidth(input.trim()).normalize('NFC');
  const length = [...username].length;
  if (length < 1 || length > MAX_USERNAME_LENGTH) {
    refuse('username', `username must be 1 to ${MAX_USERNAME_LENGTH} characters long`);
  }
  const disallowed = findDisallowedCharacter(username);
  if (disallowed !== undefined) {
    refuse(
      'username',
      `username may contain letters, digits and . _ @ + - only, without compatibility forms ` +
        `such as ligatures, superscripts or styled letters (${codePointOf(disallowed)} is not allowed)`,
    );
  }
  const problem = findScriptProblem(username);
  if (problem?.kind === 'unsupported_script') {
    refuse(
      'username',
      `username uses a script that usernames may not use (${codePointOf(problem.char)})`,
    );
  }
  if (problem?.kind === 'mixed_scripts') {
    refuse(
      'username',
      `username mixes scripts (${problem.scripts.join(', ')}); letters must come from one script`,
    );
  }
  if (problem?.kind === 'mixed_digits') {
    refuse('username', 'username mixes digits of different number systems');
  }
  if (breaksBidiRule(username)) {
    refuse(
      'username',
      'a right-to-left username must start with a letter, end with a letter or digit and hold no left-to-right letters (RFC 5893)',
    );
  }
  return username;
}

const emailSchema = z.email().max(MAX_EMAIL_LENGTH);

export function normaliseEmail(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const trimmed = email.trim();
  if (trimmed === '') return undefined;
  if (!emailSchema.safeParse(trimmed).success) refuse('email', 'email is not a valid address');
  return trimmed;
}

/**
 * A person's name as stored and shown (`name`, and `given_name` / `family_name` under their own
 * `field`): trimmed, NFC, at most MAX_NAME_LENGTH characters, no control or text-direction
 * characters (display-text.ts). Empty means none.
 */
export function normaliseName(name: string | undefined, field = 'name'): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim().normalize('NFC');
  if (trimmed === '') return undefined;
  if ([...trimmed].length > MAX_NAME_LENGTH) {
    refuse(field, `${field} must be at most ${MAX_NAME_LENGTH} characters long`);
  }
  assertSafeDisplayText(trimmed, field);
  return trimmed;
}
