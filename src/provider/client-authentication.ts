import type { Provider } from 'oidc-provider';

import type { ClientSecretRecord } from '../ports/clients.ts';
import type { ClientSecretHasher } from '../services/client-secrets.ts';
import {
  clientProperty,
  SECRET_HASHES_PROPERTY,
  type SecretHashMetadata,
} from './client-metadata.ts';

/**
 * Client secrets are stored as keyed hashes, so the plaintext comparison oidc-provider does by
 * default cannot work. Its maintainer's advice for hashed secrets is to replace the Client
 * prototype's `compareClientSecret` (panva/node-oidc-provider#631); lib/shared/client_auth.js
 * calls it for client_secret_basic and client_secret_post.
 */
export function installHashedSecretComparison(
  provider: Provider,
  hasher: ClientSecretHasher,
  clock: () => number,
): void {
  const prototype = provider.Client.prototype as unknown as {
    compareClientSecret(this: object, actual: string): Promise<boolean>;
  };
  // Per Client instance, which client-instances.ts keeps for as long as the client is unchanged.
  const secretsOf = new WeakMap<object, ClientSecretRecord[]>();
  prototype.compareClientSecret = function compareHashedClientSecret(actual) {
    let secrets = secretsOf.get(this);
    if (!secrets) {
      const stored = (clientProperty(this, SECRET_HASHES_PROPERTY) ?? []) as SecretHashMetadata[];
      secrets = stored.map((secret, index) => ({
        id: String(index),
        hash: secret.hash,
        createdAt: 0,
        expiresAt: secret.expires_at ?? undefined,
      }));
      secretsOf.set(this, secrets);
    }
    return Promise.resolve(hasher.matches(actual, secrets, clock()));
  };
}
