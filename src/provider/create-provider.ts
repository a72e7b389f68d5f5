import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import type { TokenMetrics } from '../metrics/create-metrics.ts';
import type { Storage } from '../ports/storage.ts';
import type { ClientSecretHasher } from '../services/client-secrets.ts';
import type { ResourceServerService } from '../services/resource-server-service.ts';
import type { SigningKeyRing } from '../../keys/signing-key-ring.ts';
import { installHashedSecretComparison } from './client-authentication.ts';
import { ALLOWED_SCOPES_PROPERTY, SECRET_HASHES_PROPERTY } from './client-metadata.ts';
import { createOidcAdapterFactory } from './oidc-adapter.ts';
import { installProviderMetrics } from './provider-metrics.ts';
import { createResourceIndicators } from './resource-indicators.ts';
import { STATIC_SCOPES } from './scopes.ts';

/** Asymmetric algorithms only: secrets are hashed, so HS* (and client_secret_jwt) cannot work. */
const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

export interface ProviderDeps {
  readonly config: Config;
  readonly issuer: string;
  readonly storage: Storage;
  readonly resourceServers: ResourceServerService;
  readonly hasher: ClientSecretHasher;
  readonly keyRing: SigningKeyRing;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly tokenMetrics: TokenMetrics;
}

export function buildProviderConfiguration(deps: ProviderDeps): Configuration {
  const { config } = deps;
  return {
    adapter: createOidcAdapterFactory({
      models: deps.storage.oidcModels,
      clients: deps.storage.clients,
    }),
    jwks: { keys: [...deps.keyRing.jwks.keys] },
    cookies: { keys: [...config.secrets.cookieKeys] },
    scopes: [...STATIC_SCOPES],
    // Authorization code only: no implicit or hybrid responses (RFC 9700 section 2.1.2).
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    extraClientMetadata: {
      properties: [SECRET_HASHES_PROPERTY, ALLOWED_SCOPES_PROPERTY],
    },
    enabledJWA: {
      clientAuthSigningAlgValues: [...SIGNING_ALGS],
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      requestObjectSigningAlgValues: [...SIGNING_ALGS],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      introspectionSigningAlgValues: ['RS256', 'ES256'],
      authorizationSigningAlgValues: ['RS256', 'ES256'],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // @types/oidc-provider only types `introspection` as enabled inside a richAuthorizationRequests
      // union arm; the runtime takes `{ enabled: true }` on its own (lib/helpers/defaults.js).
      introspection: {
        enabled: true,
        // RFC 7662 section 4: a public client may only learn about its own tokens; confidential
        // clients (resource servers) may introspect any token presented to them.
        allowedPolicy: (
          _ctx: KoaContextWithOIDC,
          client: { clientId: string; clientAuthMethod: string },
          token: { clientId?: string },
        ) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      } as unknown as { enabled: false },
      revocation: {
        enabled: true,
        // RFC 7009 section 2.1: a client may revoke only tokens issued to it.
        allowedPolicy(_ctx, client, token) {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.UnauthorizedClient('the token was not issued to this client');
        },
      },
      resourceIndicators: createResourceIndicators({ resourceServers: deps.resourceServers }),
    },
    ttl: {
      AccessToken: (_ctx, token) =>
        token.resourceServer?.accessTokenTTL ?? config.tokens.accessTokenTtl,
      ClientCredentials: (_ctx, token) =>
        token.resourceServer?.accessTokenTTL ?? config.tokens.clientCredentialsTtl,
      IdToken: config.tokens.idTokenTtl,
      // Single use and short-lived (DESIGN.md section 4).
      AuthorizationCode: 60,
    },
  };
}

/** A configured oidc-provider instance, with hashed client-secret comparison installed. */
export function createProvider(deps: ProviderDeps): Provider {
  const provider = new Provider(deps.issuer, buildProviderConfiguration(deps));
  provider.proxy = deps.config.http.trustProxy;
  installHashedSecretComparison(provider, deps.hasher, deps.clock);
  installProviderMetrics(provider, deps.tokenMetrics);
  provider.on('server_error', (_ctx, error) => {
    deps.logger.error({ err: error }, 'oidc-provider server error');
  });
  return provider;
}
