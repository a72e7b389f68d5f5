import type { ClientMetadata } from '../ports/clients.ts';
import { AppError } from './app-error.ts';
import { usesClientSecret } from './client-rules.ts';

/**
 * A secret imported with a client moved from another server is kept, not generated, so the client
 * keeps working unchanged. It is stored like a generated one: only its keyed hash
 * (client-secrets.ts). That hash is fast, which is safe only for high-entropy secrets, so an
 * imported one must be at least 16 characters (other servers issue 32 or more: Keycloak 32,
 * Okta 40); syntax per RFC 6749 Appendix A.2 (`client-secret = *VSCHAR`, printable ASCII).
 */
export const MIN_KNOWN_SECRET_LENGTH = 16;
export const MAX_KNOWN_SECRET_LENGTH = 512;

export const KNOWN_SECRET_SYNTAX = /^[\x20-\x7e]*$/;

/**
 * Throws AppError('validation_failed', field client_secret) unless `secret` may be imported as
 * the first secret of a client with `metadata`: only one that authenticates with a secret.
 */
export function checkKnownSecret(secret: string, metadata: ClientMetadata): string {
  if (!usesClientSecret(metadata)) {
    throw new AppError(
      'validation_failed',
      'client_secret is only for clients that authenticate with a secret',
      { field: 'client_secret' },
    );
  }
  if (secret.length < MIN_KNOWN_SECRET_LENGTH || secret.length > MAX_KNOWN_SECRET_LENGTH) {
    throw new AppError(
      'validation_failed',
      `client_secret must be ${MIN_KNOWN_SECRET_LENGTH}-${MAX_KNOWN_SECRET_LENGTH} characters`,
      { field: 'client_secret' },
    );
  }
  if (!KNOWN_SECRET_SYNTAX.test(secret)) {
    throw new AppError(
      'validation_failed',
      'client_secret must be printable ASCII (RFC 6749 Appendix A.2)',
      { field: 'client_secret' },
    );
  }
  return secret;
}
