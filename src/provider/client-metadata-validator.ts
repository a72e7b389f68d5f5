import { errors } from 'oidc-provider';

import type { ClientMetadata } from '../ports/clients.ts';
import { AppError } from '../services/app-error.ts';
import type { ClientMetadataValidator } from '../services/client-service.ts';
import { toProviderClientMetadata } from './client-metadata.ts';
import type { ProviderHolder } from './provider-holder.ts';

/**
 * Validates client metadata with oidc-provider's own Client schema (redirect URIs, grant and
 * response type consistency, auth methods, algorithms), so the admin API refuses exactly what the
 * protocol layer would later refuse.
 */
export function createClientMetadataValidator(
  holder: () => ProviderHolder,
): ClientMetadataValidator {
  return async (metadata: ClientMetadata) => {
    const { provider } = holder().current();
    try {
      const candidate = toProviderClientMetadata({
        clientId: 'validation',
        name: 'validation',
        metadata,
        secrets: [],
      });
      await provider.Client.validate(candidate as Parameters<typeof provider.Client.validate>[0]);
    } catch (error) {
      if (
        error instanceof errors.InvalidClientMetadata ||
        error instanceof errors.InvalidRedirectUri
      ) {
        const description = error.error_description ?? error.message;
        const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
        const field = offendingField(description, metadata);
        throw new AppError(
          'validation_failed',
          `${description}${cause}`,
          field ? { field } : undefined,
        );
      }
      throw error;
    }
  };
}

/**
 * oidc-provider's messages start with the property at fault ("redirect_uris must not contain
 * fragments", lib/helpers/client_schema.js), except for key sets ("client JSON Web Key Set is
 * invalid", lib/models/client.js).
 */
function offendingField(description: string, metadata: ClientMetadata): string | undefined {
  if (description.includes('JSON Web Key Set')) return 'jwks_uri' in metadata ? 'jwks_uri' : 'jwks';
  const leading = /^([a-z]+(?:_[a-z]+)*)\b/.exec(description)?.[1];
  return leading !== undefined && (leading.includes('_') || leading in metadata)
    ? leading
    : undefined;
}
