import type { ClientRecord, ClientSecretRecord } from '../ports/clients.ts';
import type { ClientTokensRevoked } from '../services/client-token-revocation.ts';
import { METADATA_FIELDS } from './client-schemas.ts';
import { optionalTimestamp, toTimestamp } from './common-schemas.ts';

/** A secret as the API shows it: id and times; the value only once, by whoever adds it. */
export function toSecretInfo(secret: Pick<ClientSecretRecord, 'id' | 'createdAt' | 'expiresAt'>) {
  return {
    id: secret.id,
    created_at: toTimestamp(secret.createdAt),
    expires_at: optionalTimestamp(secret.expiresAt),
  };
}

/** The API's view of a client: metadata, secret ids and times; never a secret or its hash. */
export function toClientView(client: ClientRecord) {
  const metadata: Record<string, unknown> = {};
  for (const field of METADATA_FIELDS) {
    if (client.metadata[field] !== undefined) metadata[field] = client.metadata[field];
  }
  return {
    client_id: client.clientId,
    name: client.name,
    ...metadata,
    secrets: client.secrets.map(toSecretInfo),
    created_at: toTimestamp(client.createdAt),
    updated_at: toTimestamp(client.updatedAt),
    version: client.version,
    ...(client.tokensRevokedAt === undefined
      ? {}
      : { tokens_revoked_at: toTimestamp(client.tokensRevokedAt * 1000) }),
    ...(client.configKey === undefined ? {} : { config_key: client.configKey }),
  };
}

/** What revoking every token of a client did, as the API shows it. */
export function toTokensRevokedView(revoked: ClientTokensRevoked) {
  const { removed } = revoked;
  return {
    client_id: revoked.clientId,
    issued_before: toTimestamp(revoked.issuedBefore * 1000),
    tokens_valid_until: toTimestamp(revoked.tokensValidUntil * 1000),
    revoked: {
      grants: removed.Grant,
      refresh_tokens: removed.RefreshToken,
      access_tokens: removed.AccessToken + removed.ClientCredentials,
      codes:
        removed.AuthorizationCode +
        removed.DeviceCode +
        removed.BackchannelAuthenticationRequest +
        removed.PreAuthorizedCode,
    },
  };
}
