import { randomBytes } from 'node:crypto';

import type { ClientMetadata, ClientRecord } from '../ports/clients.ts';
import { usesClientSecret } from '../services/client-rules.ts';
import { isStaticScope, splitScope } from './scopes.ts';

/**
 * Extra client property carrying the secret hashes to `compareClientSecret` (see
 * client-authentication.ts), so authenticating a client needs no second store read.
 */
export const SECRET_HASHES_PROPERTY = 'tessera_secret_hashes';

/**
 * Extra client property with every scope the client may request. oidc-provider's own `scope`
 * metadata may only hold its static scopes (lib/helpers/client_schema.js), while a Tessera
 * client's allow-list also names resource-server scopes.
 */
export const ALLOWED_SCOPES_PROPERTY = 'tessera_scopes';

export interface SecretHashMetadata {
  readonly hash: string;
  readonly expires_at: number | undefined;
}

/**
 * oidc-provider insists that secret-authenticated clients have a `client_secret` (its Client
 * schema), but Tessera keeps only hashes. This stands in for it: random per process so it can
 * never be presented, and never compared because compareClientSecret is replaced.
 */
const SECRET_PLACEHOLDER = `unusable-${randomBytes(32).toString('base64url')}`;

/**
 * A Tessera extra property as it sits on an oidc-provider Client instance. Standard metadata is
 * camel-cased there, extraClientMetadata properties keep their names (lib/models/client.js).
 */
export const clientProperty = (client: object, name: string): unknown =>
  (client as Record<string, unknown>)[name];

/** The metadata oidc-provider's Client model is built from. */
export function toProviderClientMetadata(
  client: Pick<ClientRecord, 'clientId' | 'name' | 'metadata' | 'secrets'>,
): Record<string, unknown> {
  const { scope, ...rest }: ClientMetadata = client.metadata;
  const scopes = splitScope(scope);
  const staticScopes = scopes.filter(isStaticScope);
  const metadata: Record<string, unknown> = {
    ...rest,
    client_id: client.clientId,
    client_name: client.name,
    [ALLOWED_SCOPES_PROPERTY]: scopes.join(' '),
  };
  // oidc-provider refuses an empty `scope`; absent means "no static-scope allow-list" to it, so
  // Tessera enforces its own allow-list (allowedScopesOf) wherever that matters.
  if (staticScopes.length > 0) metadata.scope = staticScopes.join(' ');
  if (usesClientSecret(client.metadata)) {
    metadata.client_secret = SECRET_PLACEHOLDER;
    metadata.client_secret_expires_at = 0;
    metadata[SECRET_HASHES_PROPERTY] = client.secrets.map((secret): SecretHashMetadata => ({
      hash: secret.hash,
      expires_at: secret.expiresAt,
    }));
  }
  return metadata;
}

const allowedScopes = new WeakMap<object, ReadonlySet<string>>();

/**
 * Every scope a provider Client instance may request (its Tessera allow-list). Read once per
 * instance: an instance's metadata never changes (a changed client is a new instance).
 */
export function allowedScopesOf(client: object): ReadonlySet<string> {
  let scopes = allowedScopes.get(client);
  if (!scopes) {
    scopes = new Set(splitScope(clientProperty(client, ALLOWED_SCOPES_PROPERTY)));
    allowedScopes.set(client, scopes);
  }
  return scopes;
}
