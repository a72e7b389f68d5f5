import type { ClientRecord, ClientSecretRecord } from '../ports/clients.ts';
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
  };
}
