import { AppError } from './app-error.ts';

/** The longest client id Tessera registers: what the admin API accepts in a path segment. */
export const MAX_CLIENT_ID_LENGTH = 200;

/**
 * RFC 6749 Appendix A.1: `client-id = *VSCHAR`, VSCHAR being printable ASCII (%x20-7E). That
 * admits what other servers issue — Keycloak's `account-console`, `my-app`, `urn:foo:bar`, URLs —
 * and keeps out control characters, which terminals and logs interpret, and non-ASCII look-alikes.
 * Leading or trailing spaces are refused too: they are invisible where the id is shown.
 */
export const CLIENT_ID_SYNTAX = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** The id a caller chose for a new client, checked; AppError('validation_failed') otherwise. */
export function checkClientId(clientId: string): string {
  if (clientId.length === 0 || clientId.length > MAX_CLIENT_ID_LENGTH) {
    throw new AppError(
      'validation_failed',
      `client_id must be 1-${MAX_CLIENT_ID_LENGTH} characters`,
      { field: 'client_id' },
    );
  }
  if (!CLIENT_ID_SYNTAX.test(clientId)) {
    throw new AppError(
      'validation_failed',
      'client_id must be printable ASCII (RFC 6749 Appendix A.1) without leading or trailing spaces',
      { field: 'client_id' },
    );
  }
  return clientId;
}
