import { AppError } from '../app-error.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Tessera's password rules (NIST SP 800-63B section 5.1.1.2): 8 to 128 characters, counted as
 * Unicode code points; not one of the most common passwords; not the username itself. No
 * composition rules. Throws AppError('validation_failed') naming the `password` field.
 */
export function assertAcceptablePassword(password: string, username?: string): void {
  const length = [...password.normalize('NFC')].length;
  const refuse = (message: string) => {
    throw new AppError('validation_failed', message, { field: 'password' });
  };
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    refuse(`password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long`);
  }
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) {
    refuse('password is one of the most commonly used passwords; choose another');
  }
  if (username !== undefined && lowered === username.toLowerCase()) {
    refuse('password must not be the username');
  }
}
