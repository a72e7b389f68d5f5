import type { ClientMetadata } from '../ports/clients.ts';
import { AppError } from './app-error.ts';

/** Client authentication methods Tessera supports (docs/protocol.md#tokens-and-clients). */
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
] as const;

export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

const SECRET_AUTH_METHODS = new Set<string>(['client_secret_basic', 'client_secret_post']);

/** Metadata Tessera owns itself and never accepts from callers. */
const RESERVED_FIELDS = [
  'client_id',
  'client_secret',
  'client_secret_expires_at',
  'client_id_issued_at',
];

/**
 * Fills in defaults and enforces Tessera's own rules on top of oidc-provider's validation:
 * secrets are stored hashed, so nothing that needs the plaintext secret (client_secret_jwt, HS*
 * algorithms, symmetric encryption) can be allowed.
 */
export function normaliseClientMetadata(input: ClientMetadata): ClientMetadata {
  for (const field of RESERVED_FIELDS) {
    if (field in input) {
      throw new AppError('validation_failed', `${field} is assigned by Tessera`, { field });
    }
  }
  const grantTypes = (input.grant_types as string[] | undefined) ?? ['client_credentials'];
  const metadata: Record<string, unknown> = {
    token_endpoint_auth_method: 'client_secret_basic',
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    ...input,
    grant_types: grantTypes,
  };

  const authMethod = metadata.token_endpoint_auth_method;
  if (!CLIENT_AUTH_METHODS.includes(authMethod as ClientAuthMethod)) {
    throw new AppError(
      'validation_failed',
      `token_endpoint_auth_method must be one of ${CLIENT_AUTH_METHODS.join(', ')}`,
      { field: 'token_endpoint_auth_method' },
    );
  }
  for (const [field, value] of Object.entries(metadata)) {
    if (field.endsWith('_alg') && typeof value === 'string' && /^HS/i.test(value)) {
      throw new AppError(
        'validation_failed',
        `${field} cannot be an HMAC algorithm: secrets are stored hashed`,
        {
          field,
        },
      );
    }
    if (field.endsWith('_encrypted_response_alg') || field.endsWith('_encryption_alg')) {
      throw new AppError('validation_failed', `${field} is not supported`, { field });
    }
  }
  if (authMethod === 'none' && grantTypes.includes('client_credentials')) {
    throw new AppError('validation_failed', 'a public client cannot use client_credentials', {
      field: 'grant_types',
    });
  }
  return metadata;
}

/** Whether clients with this metadata authenticate with a Tessera-issued secret. */
export function usesClientSecret(metadata: ClientMetadata): boolean {
  return SECRET_AUTH_METHODS.has(metadata.token_endpoint_auth_method as string);
}
