import type { ClientRecord } from '../ports/clients.ts';
import { METADATA_FIELDS } from './client-schemas.ts';
import { optionalTimestamp, toTimestamp } from './common-schemas.ts';

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
    secrets: client.secrets.map((secret) => ({
      id: secret.id,
      created_at: toTimestamp(secret.createdAt),
      expires_at: optionalTimestamp(secret.expiresAt),
    })),
    created_at: toTimestamp(client.createdAt),
    updated_at: toTimestamp(client.updatedAt),
    version: client.version,
  };
}
