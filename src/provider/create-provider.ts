import Provider, { interactionPolicy, type Configuration } from 'oidc-provider';
import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import type { EventFactory } from '../events/event-factory.ts';
import type { TokenMetrics } from '../metrics/create-metrics.ts';
import type { ProviderPages } from '../interactions/provider-pages.ts';
import type { ClientStore } from '../ports/clients.ts';
import type { Storage } from '../ports/storage.ts';
import type { AccountService } from '../services/account-service.ts';
import type { ClientSecretHasher } from '../services/client-secrets.ts';
import type { ResourceServerService } from '../services/resource-server-service.ts';
import type { SigningKeyRing } from '../../keys/signing-key-ring.ts';
import { pinOriginToIssuer } from '../http/issuer-origin.ts';
import { SUPPORTED_ACR_VALUES } from '../services/authentication-context.ts';
import { CLAIMS_BY_SCOPE, createFindAccount } from './account-claims.ts';
import { installPhishingResistantStepUp } from './acr-step-up.ts';
import { assertClientAssertionAudience } from './client-assertion-audience.ts';
import { installHashedSecretComparison } from './client-authentication.ts';
import { installClientInstanceReuse } from './client-instances.ts';
import { createCookieSigner } from './cookie-signatures.ts';
import { assertSatisfiableAcr, installEssentialAcrCheck } from './essential-acr.ts';
import { ALLOWED_SCOPES_PROPERTY, SECRET_HASHES_PROPERTY } from './client-metadata.ts';
import { createDpopFeature, DPOP_SIGNING_ALGS } from './dpop-feature.ts';
import { createRefreshRotation } from './dpop-requirement.ts';
import {
  createEntitlementLookups,
  createIntrospectionPolicy,
} from './introspection-entitlement.ts';
import { createJwtAccessTokenRecorder } from './jwt-access-token-records.ts';
import { installJwtAccessTokenRequests } from './jwt-access-token-requests.ts';
import { createJwtAccessTokenRevocation } from './jwt-access-token-revocation.ts';
import { createJwtAccessTokenVerifier } from './jwt-access-token-verifier.ts';
import { installLoopbackRedirectMatching } from './loopback-redirects.ts';
import { createOidcAdapterFactory } from './oidc-adapter.ts';
import {
  acceptsCrossSitePosts,
  installProviderCookies,
  providerCookiesFor,
} from './provider-cookies.ts';
import { loadGrantRecordingRequestedClaims } from './requested-claims.ts';
import { installProviderMetrics } from './provider-metrics.ts';
import { mayRevoke } from './revocation-policy.ts';
import { createResourceIndicators } from './resource-indicators.ts';
import { createRemovalEvents } from './removal-events.ts';
import { installSharedReplayDetection } from './replay-detection.ts';
import { STATIC_SCOPES } from './scopes.ts';
import { installSingleUseRequestUris } from './single-use-request-uris.ts';
import { installTokenKindTags } from './token-kinds.ts';
import { installUnmatchedRequestAnswers } from './unmatched-requests.ts';

/** Asymmetric algorithms only: secrets are hashed, so HS* (and client_secret_jwt) cannot work. */
const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

export interface ProviderDeps {
  readonly config: Config;
  readonly issuer: string;
  readonly storage: Storage;
  /** Client lookups of the token endpoint: served from memory (src/storage/catalog-cache.ts). */
  readonly clients: ClientStore;
  readonly resourceServers: ResourceServerService;
  readonly hasher: ClientSecretHasher;
  readonly keyRing: SigningKeyRing;
  readonly accounts: AccountService;
  readonly pages: ProviderPages;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly tokenMetrics: TokenMetrics;
  readonly newEvent: EventFactory;
}

/** Path of the hosted sign-in and consent pages (src/interactions/interaction-routes.ts). */
const interactionPath = (uid: string): string => `/interaction/${uid}`;

/**
 * oidc-provider's default prompts plus one login check: a browser session whose account was
 * disabled or deleted since (findAccount answers undefined) must sign in again, not sail on;
 * and an Essential acr that cannot be achieved ends in an error (essential-acr.ts).
 */
function endUserPolicy() {
  const policy = interactionPolicy.base();
  installEssentialAcrCheck(policy);
  installPhishingResistantStepUp(policy);
  policy
    .get('login')
    ?.checks.add(
      new interactionPolicy.Check(
        'account_unavailable',
        'the signed-in account is no longer available',
        (ctx) =>
          ctx.oidc.session?.accountId !== undefined && ctx.oidc.account === undefined
            ? interactionPolicy.Check.REQUEST_PROMPT
            : interactionPolicy.Check.NO_NEED_TO_PROMPT,
      ),
    );
  return policy;
}

export function buildProviderConfiguration(deps: ProviderDeps): Configuration {
  const { config } = deps;
  return {
    adapter: createOidcAdapterFactory({
      models: deps.storage.oidcModels,
      clients: deps.clients,
      findResourceServer: (audience) => deps.resourceServers.findByAudience(audience),
      removalEvents: createRemovalEvents(deps.newEvent),
      currentContext: () => Provider.ctx,
    }),
    formats: {
      customizers: {
        jwt: createJwtAccessTokenRecorder(deps.storage.oidcModels, deps.clock),
      },
    },
    jwks: { keys: [...deps.keyRing.jwks.keys] },
    cookies: {
      keys: createCookieSigner(config.secrets.cookieKeys),
      ...providerCookiesFor(deps.issuer),
    },
    // POST at /auth and /session/end, where the session cookie can be SameSite=None.
    enableHttpPostMethods: acceptsCrossSitePosts(deps.issuer),
    scopes: [...STATIC_SCOPES],
    claims: Object.fromEntries(
      Object.entries(CLAIMS_BY_SCOPE).map(([scope, claims]) => [scope, [...claims]]),
    ),
    // The classes a sign-in can achieve (authentication-context.ts): acr_values_supported.
    acrValues: [...SUPPORTED_ACR_VALUES],
    findAccount: createFindAccount(deps.accounts),
    loadExistingGrant: loadGrantRecordingRequestedClaims,
    interactions: {
      url: (_ctx, interaction) => interactionPath(interaction.uid),
      policy: endUserPolicy(),
    },
    renderError: deps.pages.renderError,
    // oidc-provider hands fetch an undici dispatcher that refuses loopback and private
    // addresses (SSRF guard, docs "fetch"); dropping it is the operator's explicit choice.
    fetch: (url, options) => {
      if (!config.http.fetchAllowPrivateNetworks) return globalThis.fetch(url, options);
      const unguarded: RequestInit & { dispatcher?: unknown } = { ...options };
      delete unguarded.dispatcher;
      return globalThis.fetch(url, unguarded);
    },
    // Every use of a refresh token consumes it and issues a new one; presenting a consumed one
    // revokes the whole grant (RFC 9700 section 4.14.2; oidc-provider lib/actions/grants/
    // refresh_token.js). The adapter makes the consumption itself atomic. A refresh that a
    // resource server's require_dpop will refuse is refused before it (dpop-requirement.ts).
    rotateRefreshToken: createRefreshRotation({
      findResourceServer: (audience) => deps.resourceServers.findByAudience(audience),
    }),
    // Authorization code only: no implicit or hybrid responses (RFC 9700 section 2.1.2).
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    // private_key_jwt assertions are addressed to the issuer alone (client-assertion-audience.ts).
    assertJwtClientAuthClaimsAndHeader: assertClientAssertionAudience,
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
      dPoPSigningAlgValues: [...DPOP_SIGNING_ALGS],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // OIDC Core section 5.5; what it can release is decided by scope (account-claims.ts).
      claimsParameter: { enabled: true, assertClaimsParameter: assertSatisfiableAcr },
      // @types/oidc-provider only types `introspection` as enabled inside a richAuthorizationRequests
      // union arm; the runtime takes `{ enabled: true }` on its own (lib/helpers/defaults.js).
      introspection: {
        enabled: true,
        // RFC 7662 sections 2.1 and 4: only the token's own client, or a client its resource
        // server names as an introspector, learns about it; anyone else gets {"active":false}.
        allowedPolicy: createIntrospectionPolicy({
          clients: deps.clients,
          resourceServers: deps.resourceServers,
        }),
      } as unknown as { enabled: false },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => mayRevoke(client, token.clientId),
      },
      resourceIndicators: createResourceIndicators({ resourceServers: deps.resourceServers }),
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: deps.pages.logoutSource,
        postLogoutSuccessSource: deps.pages.postLogoutSuccessSource,
      },
      backchannelLogout: { enabled: true },
      // RFC 9449 sender-constrained tokens: dpop-feature.ts.
      dPoP: createDpopFeature(config),
    },
    ttl: {
      AccessToken: (_ctx, token) =>
        token.resourceServer?.accessTokenTTL ?? config.tokens.accessTokenTtl,
      ClientCredentials: (_ctx, token) =>
        token.resourceServer?.accessTokenTTL ?? config.tokens.clientCredentialsTtl,
      IdToken: config.tokens.idTokenTtl,
      // Single use and short-lived (docs/protocol.md#authorization-code-flow).
      AuthorizationCode: 60,
      RefreshToken: config.tokens.refreshTokenTtl,
      Session: config.tokens.sessionTtl,
      Grant: config.tokens.grantTtl,
      // oidc-provider's own default, made explicit.
      Interaction: 3600,
    },
  };
}

/** A configured oidc-provider instance, with hashed client-secret comparison installed. */
export function createProvider(deps: ProviderDeps): Provider {
  const provider = new Provider(deps.issuer, buildProviderConfiguration(deps));
  // Client addresses from X-Forwarded-For when trusted; the origin never comes from the request.
  provider.proxy = deps.config.http.trustProxy;
  pinOriginToIssuer(provider, deps.issuer);
  installProviderCookies(provider, deps.issuer);
  installHashedSecretComparison(provider, deps.hasher, deps.clock);
  installLoopbackRedirectMatching(provider);
  installSingleUseRequestUris(provider, deps.storage.oidcModels);
  installSharedReplayDetection(provider, deps.storage.oidcModels);
  if (deps.config.performance.clientCacheTtlMs > 0) installClientInstanceReuse(provider);
  installTokenKindTags(provider);
  installProviderMetrics(provider, deps.tokenMetrics);
  installUnmatchedRequestAnswers(provider, deps.pages, deps.issuer);
  installJwtAccessTokenRequests(provider, {
    verify: createJwtAccessTokenVerifier(deps),
    revocation: createJwtAccessTokenRevocation({
      models: deps.storage.oidcModels,
      revokedJwts: deps.storage.revokedJwts,
      clients: deps.clients,
      findResourceServer: (audience) => deps.resourceServers.findByAudience(audience),
      removalEvents: createRemovalEvents(deps.newEvent),
    }),
    entitlement: createEntitlementLookups(deps),
  });
  provider.on('server_error', (_ctx, error) => {
    deps.logger.error({ err: error }, 'oidc-provider server error');
  });
  provider.on('backchannel.error', (_ctx, error, client) => {
    deps.logger.warn(
      { err: error, clientId: client.clientId },
      'back-channel logout notification failed',
    );
  });
  return provider;
}
