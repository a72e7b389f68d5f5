import { createSecretKey } from 'node:crypto';

import type { Logger } from 'pino';

import { createKeyEncrypter } from '../keys/key-encryption.ts';
import type { SigningKeyRing } from '../keys/signing-key-ring.ts';
import type { Config } from './config/config.ts';
import type { EventFactory } from './events/event-factory.ts';
import { createPageRenderer, type PageRenderer } from './interactions/page-renderer.ts';
import { createProviderPages } from './interactions/provider-pages.ts';
import type { TesseraMetrics } from './metrics/create-metrics.ts';
import type { Storage } from './ports/storage.ts';
import { createAccountAccessRevoker } from './provider/account-access-revocation.ts';
import { createClientMetadataValidator } from './provider/client-metadata-validator.ts';
import { createProvider } from './provider/create-provider.ts';
import { clientHoldingsEventsFor } from './provider/grant-revocation.ts';
import {
  createProviderHolder,
  wrapProvider,
  type ProviderHolder,
  type ProviderInstance,
} from './provider/provider-holder.ts';
import { createRemovalEvents, type RemovalEvents } from './provider/removal-events.ts';
import {
  createAccountService,
  type AccountAccessRevoker,
  type AccountService,
} from './services/account-service.ts';
import { createClientSecretHasher, type ClientSecretHasher } from './services/client-secrets.ts';
import { createClientService, type ClientService } from './services/client-service.ts';
import { createFactorAdmin, type FactorAdmin } from './services/factors/factor-admin.ts';
import { createFactorService, type FactorService } from './services/factors/factor-service.ts';
import { createPasskeySignIn, type PasskeySignIn } from './services/factors/passkey-sign-in.ts';
import { createPasskeyService, type PasskeyService } from './services/factors/passkeys.ts';
import { createWebAuthnChallenges } from './services/factors/webauthn-challenges.ts';
import {
  createSecondFactorCheck,
  type SecondFactorCheck,
} from './services/factors/second-factor.ts';
import type { Argon2Pool } from './services/passwords/argon2-pool.ts';
import { createPasswordHasher } from './services/passwords/password-hasher.ts';
import {
  createResourceServerService,
  RESOURCE_SERVER_MAX_TTL,
  type ResourceServerService,
} from './services/resource-server-service.ts';
import { createCatalogCache, type CatalogCache } from './storage/catalog-cache.ts';

export interface ServiceDeps {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Where events come from (CloudEvents `source`) and what oidc-provider issues as. */
  readonly issuer: string;
  /** The keys the provider is built with; the server manages them (keys/), the CLI only reads. */
  readonly keyRing: SigningKeyRing;
  /**
   * The argon2 worker threads that hash and verify passwords. Its creator closes it: the server
   * when it stops; `tessera init`, which hashes no password, passes one without workers.
   */
  readonly argon2Pool: Argon2Pool;
  readonly metrics: Pick<TesseraMetrics, 'tokens' | 'logins'>;
  /** The composition root's one event factory (its `source` is `issuer`). */
  readonly newEvent: EventFactory;
}

/** Everything built on top of a store: the business services and the oidc-provider instance. */
export interface Services {
  readonly clients: ClientService;
  readonly resourceServers: ResourceServerService;
  readonly accounts: AccountService;
  /** Second factors of accounts (/account, the second sign-in step, the admin API). */
  readonly factors: FactorService;
  readonly secondFactorCheck: SecondFactorCheck;
  /** The admin API's view and reset of an account's factors. */
  readonly factorAdmin: FactorAdmin;
  /** Passkeys (WebAuthn): set up on /account, used on the sign-in pages. */
  readonly passkeys: PasskeyService;
  readonly passkeySignIn: PasskeySignIn;
  readonly holder: ProviderHolder;
  /** A provider instance for another key ring, for the holder to swap in on rotation. */
  readonly buildInstance: (keyRing: SigningKeyRing) => ProviderInstance;
  /** The hosted pages' renderer, shared by the provider's pages and the interaction routes. */
  readonly pageRenderer: PageRenderer;
  /** Clients and resource servers as the token endpoint reads them (src/storage/catalog-cache.ts). */
  readonly catalogCache: CatalogCache;
}

/**
 * The inner half of the composition root: services → provider, over an open store and a key
 * ring. The server (compose.ts) wraps it in an HTTP app; `tessera init` uses it directly, so a
 * client it creates passes exactly the validation and emits exactly the event the admin API's
 * would.
 */
export function composeServices(config: Config, deps: ServiceDeps): Services {
  const { storage, logger, clock, issuer, newEvent } = deps;
  const hasher = createClientSecretHasher(
    config.secrets.secretPepper,
    config.tokens.clientSecretBytes,
  );
  // The hot path reads clients and resource servers from memory; the services' own reads (get,
  // list) go to the store and their writes drop what this replica had cached. The resource-server
  // service takes the cached store because the token endpoint asks it by audience
  // (src/storage/catalog-cache.ts).
  const catalogCache = createCatalogCache(storage, {
    ttlMs: config.performance.clientCacheTtlMs,
    clock,
  });
  const resourceServers = createResourceServerService({
    resourceServers: catalogCache.cached.resourceServers,
    clients: catalogCache.stores.clients,
    newEvent,
    clock,
    defaultAccessTokenTtl: config.tokens.accessTokenTtl,
  });
  // Client metadata is validated by the provider, which is built after the services: bind late.
  const built: { holder?: ProviderHolder } = {};
  const removalEvents = createRemovalEvents(newEvent);
  const clients = buildClientService(config, deps, {
    catalogCache,
    hasher,
    removalEvents,
    holder: () => {
      if (!built.holder) throw new Error('provider not built yet');
      return built.holder;
    },
  });
  const factors = createFactorService({
    factors: storage.accountFactors,
    // Sealed as the private signing keys are (keys/key-encryption.ts), under the same key.
    sealer: createKeyEncrypter(config.secrets.keyEncryptionKey),
    pepper: config.secrets.secretPepper,
    newEvent,
    clock,
    issuerName: new URL(issuer).host,
  });
  const accessRevoker = createAccountAccessRevoker({ models: storage.oidcModels, removalEvents });
  const accounts = buildAccountService(config, deps, accessRevoker, factors);
  const factorAdmin = createFactorAdmin({ accounts, factors, accessRevoker });
  const passkeys = buildPasskeyService(config, deps);
  const passkeySignIn = createPasskeySignIn({
    passkeys,
    accounts: storage.accounts,
    newEvent,
    pepper: config.secrets.secretPepper,
    metrics: deps.metrics.logins,
  });
  const secondFactorCheck = createSecondFactorCheck({
    accounts: storage.accounts,
    throttle: storage.loginThrottle,
    outbox: storage.outbox,
    factors,
    policy: config.login,
    pepper: config.secrets.secretPepper,
    newEvent,
    clock,
    metrics: deps.metrics.logins,
  });
  const pageRenderer = createPageRenderer();
  const pages = createProviderPages(pageRenderer);
  const buildInstance = (ring: SigningKeyRing) =>
    wrapProvider(
      createProvider({
        config,
        issuer,
        storage,
        clients: catalogCache.cached.clients,
        resourceServers,
        hasher,
        keyRing: ring,
        accounts,
        pages,
        logger,
        clock,
        tokenMetrics: deps.metrics.tokens,
        newEvent,
      }),
      ring,
    );
  const holder = createProviderHolder(buildInstance(deps.keyRing));
  built.holder = holder;
  return {
    clients,
    resourceServers,
    accounts,
    factors,
    secondFactorCheck,
    factorAdmin,
    passkeys,
    passkeySignIn,
    holder,
    buildInstance,
    pageRenderer,
    catalogCache,
  };
}

function buildPasskeyService(config: Config, deps: ServiceDeps): PasskeyService {
  const { storage, clock } = deps;
  const challenges = createWebAuthnChallenges({
    key: createSecretKey(config.secrets.secretPepper),
    clock,
    used: storage.oidcModels,
  });
  return createPasskeyService({
    factors: storage.accountFactors,
    challenges,
    origin: new URL(deps.issuer).origin,
    newEvent: deps.newEvent,
    clock,
  });
}

function buildClientService(
  config: Config,
  deps: ServiceDeps,
  parts: {
    readonly catalogCache: CatalogCache;
    readonly hasher: ClientSecretHasher;
    readonly removalEvents: RemovalEvents;
    readonly holder: () => ProviderHolder;
  },
): ClientService {
  const { removalEvents } = parts;
  // Any resource server may have had its TTL up to the cap when it issued (as for key
  // retirement, keys/key-schedule.ts), whatever today's settings are.
  const longestAccessTokenTtl = Math.max(
    config.tokens.accessTokenTtl,
    config.tokens.clientCredentialsTtl,
    RESOURCE_SERVER_MAX_TTL,
  );
  return createClientService({
    clients: parts.catalogCache.stores.clients,
    hasher: parts.hasher,
    newEvent: deps.newEvent,
    clock: deps.clock,
    deletionEventsFor: clientHoldingsEventsFor(removalEvents, 'client_deleted'),
    // A replica may still issue from its cached client for up to the cache TTL after the
    // deletion.
    tokensOutliveDeletionBy:
      Math.ceil(config.performance.clientCacheTtlMs / 1000) + longestAccessTokenTtl,
    // Tokens issued after the revocation are not revoked, so the cache TTL adds nothing here.
    tokenRevocation: {
      models: deps.storage.oidcModels,
      holdingsEventsFor: clientHoldingsEventsFor(removalEvents, 'client_tokens_revoked'),
      longestAccessTokenTtl,
    },
    validateMetadata: createClientMetadataValidator(parts.holder),
    production: config.production,
  });
}

function buildAccountService(
  config: Config,
  deps: ServiceDeps,
  accessRevoker: AccountAccessRevoker,
  factors: FactorService,
): AccountService {
  const { storage } = deps;
  return createAccountService({
    accounts: storage.accounts,
    throttle: storage.loginThrottle,
    outbox: storage.outbox,
    hasher: createPasswordHasher({ pool: deps.argon2Pool, params: config.passwords.argon2 }),
    policy: config.login,
    pepper: config.secrets.secretPepper,
    newEvent: deps.newEvent,
    accessRevoker,
    clock: deps.clock,
    metrics: deps.metrics.logins,
    production: config.production,
    // TESSERA_MFA=required: an account without a factor sets one up at its next sign-in.
    needsSecondFactor: async (accountId) =>
      config.mfa === 'required' || (await factors.secondFactorsOf(accountId)).size > 0,
  });
}
