import { AppError } from './app-error.ts';
import { Argon2PoolBusyError, Argon2PoolUnavailableError } from './passwords/argon2-pool.ts';
import {
  formatImportedHash,
  UNUSABLE_PASSWORD_HASH,
  type ImportedPasswordHash,
} from './passwords/imported-password-hashes.ts';
import type { PasswordHasher } from './passwords/password-hasher.ts';
import { assertAcceptablePassword } from './passwords/password-policy.ts';

/** What a new account's password comes as (account-service.ts NewAccount). */
export interface InitialPassword {
  /** Exactly one of `password` and `importedHash`. */
  readonly password?: string | undefined;
  readonly importedHash?: ImportedPasswordHash | null | undefined;
}

/** The hashes the account service stores for passwords an administrator gives. */
export function createAccountPasswords(hasher: PasswordHasher) {
  /** Hashes a new password; a busy or failing argon2 pool is a 503 for the admin, not a 500. */
  const hashPassword = async (password: string): Promise<string> => {
    try {
      return await hasher.hash(password);
    } catch (error) {
      if (error instanceof Argon2PoolBusyError || error instanceof Argon2PoolUnavailableError) {
        throw new AppError(
          'temporarily_unavailable',
          'passwords cannot be hashed right now; retry shortly',
          { cause: error },
        );
      }
      throw error;
    }
  };

  /**
   * A new account's hash: of its password (checked against the policy), or imported as it is,
   * its parameters checked against the limits (imported-password-hashes.ts). An imported hash is
   * not checked against the password policy: its password is unknown until the user signs in.
   */
  const initialPasswordHash = async (input: InitialPassword, username: string): Promise<string> => {
    if (input.importedHash !== undefined) {
      if (input.password !== undefined) {
        throw new AppError('validation_failed', 'give either password or password_hash', {
          field: 'password_hash',
        });
      }
      return input.importedHash === null
        ? UNUSABLE_PASSWORD_HASH
        : formatImportedHash(input.importedHash);
    }
    if (input.password === undefined) {
      throw new AppError('validation_failed', 'password is required', { field: 'password' });
    }
    assertAcceptablePassword(input.password, username);
    return hashPassword(input.password);
  };

  return { hashPassword, initialPasswordHash };
}
