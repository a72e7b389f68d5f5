import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { Worker } from 'node:worker_threads';

import type { Logger } from 'pino';

import type { RotationScheduler } from '../keys/rotation-scheduler.ts';
import type { SigningKeyAdmin } from './services/signing-key-admin.ts';
import type { Config } from './config/config.ts';
import { composeServices, type Services } from './compose-services.ts';
import { buildArgon2Component, type Argon2Component } from './composition/argon2-component.ts';
import {
  buildCatalogChanges,
  type CatalogChangesComponent,
} from './composition/catalog-changes-component.ts';
import { gracefulStopOrder } from './composition/graceful-stop.ts';
import { buildHousekeeping, type Housekeeping } from './composition/housekeeping.ts';
import {
  buildIdleReclaim,
  type IdleReclaimComponent,
} from './composition/idle-reclaim-component.ts';
import { listenForHttp, type HttpComponent } from './composition/http-component.ts';
import {
  buildKeysComponent,
  loadSigningKeys,
  type KeysComponent,
} from './composition/keys-component.ts';
import { buildRelayComponent, type RelayComponent } from './composition/relay-component.ts';
import { loadPublisherFactory, type PublisherFactory } from './composition/open-relay.ts';
import { buildRequestListener } from './composition/request-listener.ts';
import { openStoreComponent, type StoreComponent } from './composition/store-component.ts';
import { createEventFactoryFor } from './events/event-factory.ts';
import { createShutdownSteps, type ShutdownSteps } from './lifecycle/shutdown-steps.ts';
import { createStartup, type Startup } from './lifecycle/startup.ts';
import { runStopOrder } from './lifecycle/stop-order.ts';
import { createMetrics, type TesseraMetrics } from './metrics/create-metrics.ts';
import type { ClusterWorkerLink } from './metrics/cluster-metrics.ts';
import type { Storage } from './ports/storage.ts';
import type { ProviderHolder } from './provider/provider-holder.ts';
import type { OutboxRelay } from './relay/outbox-relay.ts';
import type { AccountService } from './services/account-service.ts';
import type { ClientService } from './services/client-service.ts';
import type { FactorService } from './services/factors/factor-service.ts';
import type { ResourceServerService } from './services/resource-server-service.ts';
import type { CatalogCache } from './storage/catalog-cache.ts';
import type { CatalogChangePoller } from './storage/catalog-change-poller.ts';
import { runDataMigrations } from './storage/data-migrations.ts';
import { dataMigrationsFor } from './storage/data-migration-list.ts';
import { logUsernameRekey, rekeyUsernames } from './services/usernames/username-rekey.ts';

export interface TesseraOptions {
  readonly logger: Logger;
  /** Use this store instead of the one the config names (tests pass other adapters). */
  readonly storage?: Storage;
  readonly clock?: () => number;
  /**
   * Set in a TESSERA_WORKERS cluster worker: once-per-deployment duties (pruning; the outbox
   * relay) run in worker 0 only, and /metrics sums every worker's registry.
   */
  readonly worker?: ClusterWorkerLink;
  /** Starts an argon2 worker thread (argon2-pool.ts); tests inject failing ones. */
  readonly startArgon2Worker?: () => Worker;
  /**
   * Serve plain client-credentials and introspection requests by the lean paths
   * (docs/decisions/0008-lean-client-credentials-path.md); default true. The differential tests
   * turn it off to get oidc-provider's own answers for the same requests.
   */
  readonly leanTokenPath?: boolean;
}

/** A running Tessera: its address, its services (for bootstrap and tests) and a graceful stop. */
export interface Tessera {
  readonly issuer: string;
  readonly server: Server;
  readonly storage: Storage;
  readonly clients: ClientService;
  readonly resourceServers: ResourceServerService;
  readonly accounts: AccountService;
  /** Second factors of accounts (what /account and the second sign-in step use). */
  readonly factors: FactorService;
  readonly holder: ProviderHolder;
  /** Operator actions on the signing keys (list, rotate, emergency retire). */
  readonly signingKeyAdmin: SigningKeyAdmin;
  /**
   * The key-rotation scheduler of this replica. `refresh()` makes it look at the store now: the
   * hook for an events consumer that hears `tessera.keys.rotated` from another replica.
   */
  readonly keyRotation: RotationScheduler;
  readonly metrics: TesseraMetrics;
  /** The outbox relay of this replica; undefined without KAFKA_BROKERS (events stay in the outbox). */
  readonly relay: OutboxRelay | undefined;
  /**
   * Clients and resource servers as the token endpoint reads them (from memory, for at most
   * TESSERA_CLIENT_CACHE_TTL; `catalogChanges` drops them sooner). `invalidate*` is the hook for
   * an events consumer that hears of a change made through another replica.
   */
  readonly catalogCache: CatalogCache;
  /**
   * Reads the store's catalog generation every TESSERA_CATALOG_POLL_MS and drops `catalogCache`
   * when another replica (or process) changed a client or resource server; `poll()` looks now.
   * Undefined when polling or the cache is off.
   */
  readonly catalogChanges: CatalogChangePoller | undefined;
  /**
   * The graceful stop: /readyz turns 503 at once; requests are still served for
   * TESSERA_SHUTDOWN_DELAY_MS (so load balancers notice and drain); then the server stops
   * accepting and in-flight requests finish (bounded by TESSERA_SHUTDOWN_TIMEOUT_MS); then the
   * shutdown steps run (relay flush…, bounded by the same timeout); then the argon2 pool and
   * the store close (src/composition/graceful-stop.ts). Rejects with the first step that
   * failed, after every later step has run. Calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

/** What every builder below may need, besides the configuration. */
interface Context {
  readonly logger: Logger;
  readonly clock: () => number;
  readonly metrics: TesseraMetrics;
  readonly options: TesseraOptions;
  readonly startup: Startup;
}

/** The components of a running Tessera, in the order they are built. */
interface Components {
  readonly store: StoreComponent;
  readonly http: HttpComponent;
  readonly argon2: Argon2Component;
  readonly services: Services;
  readonly keys: KeysComponent;
  readonly shutdownSteps: ShutdownSteps;
  readonly relay: RelayComponent;
  readonly housekeeping: Housekeeping;
  readonly catalogChanges: CatalogChangesComponent;
  readonly idleReclaim: IdleReclaimComponent;
}

/**
 * The composition root: store → listening server (answering "starting") → argon2 pool → data
 * migrations → signing keys → services and provider → key rotation, relay, app, housekeeping,
 * catalog polling. Each component is built by its named builder from explicit dependencies
 * (src/composition/); nothing is a module-level singleton, so tests build as many instances as
 * they like. A failure while starting stops what already started, the latest first.
 */
export async function startTessera(config: Config, options: TesseraOptions): Promise<Tessera> {
  const { logger } = options;
  const clock = options.clock ?? Date.now;
  const metrics = createMetrics({ clock });
  const startup = createStartup(logger, config.http.shutdownTimeoutMs);
  const context: Context = { logger, clock, metrics, options, startup };
  try {
    const components = await buildComponents(config, context);
    components.keys.start();
    components.relay.start();
    components.housekeeping.start();
    components.catalogChanges.start();
    components.idleReclaim.start();
    logListening(config, components, logger);
    return tesseraOf(config, components, context);
  } catch (error) {
    await startup.unwind();
    throw error;
  }
}

async function buildComponents(config: Config, context: Context): Promise<Components> {
  const { logger, clock, metrics, options, startup } = context;
  const store = startup.add(
    await openStoreComponent(config, {
      logger,
      clock,
      metrics: metrics.store,
      storage: options.storage,
    }),
  );
  const http = startup.add(await listenForHttp(config, { logger }));
  const argon2 = startup.add(
    buildArgon2Component(config, { logger, startArgon2Worker: options.startArgon2Worker }),
  );
  const { storage } = store;
  await runDataMigrations(storage, dataMigrationsFor(config), { clock, logger });
  const newEvent = createEventFactoryFor({
    production: config.production,
    source: http.issuer,
    clock,
    logger,
  });
  const holderId = createLeaseHolderId();
  const signingKeys = await loadSigningKeys(config, { storage, newEvent, clock, logger, holderId });
  // Before anything can create an account or sign in: usernames stored under older rules get
  // today's keys and skeletons (username-rekey.ts).
  logUsernameRekey(await rekeyUsernames(storage.accounts), logger);
  const services = composeServices(config, {
    storage,
    logger,
    clock,
    issuer: http.issuer,
    keyRing: signingKeys.keyRing,
    argon2Pool: argon2.pool,
    metrics,
    newEvent,
  });
  const keys = startup.add(
    buildKeysComponent(config, {
      signingKeys,
      services,
      storage,
      metrics: metrics.keys,
      clock,
      logger,
      holderId,
    }),
  );
  const built = { store, http, argon2, services, keys };
  const createPublisher = await loadPublisherFactory(config);
  return { ...built, ...buildDuties(config, context, built, holderId, createPublisher) };
}

/**
 * The relay, the app and the background duties. Pruning is idempotent and the relay claims
 * events under a lease, so every replica may run both; within one replica's cluster of worker
 * processes, worker 0 alone does.
 */
function buildDuties(
  config: Config,
  context: Context,
  built: Pick<Components, 'store' | 'http' | 'services' | 'keys'>,
  holderId: string,
  createPublisher: PublisherFactory | undefined,
): Pick<Components, 'shutdownSteps' | 'relay' | 'housekeeping' | 'catalogChanges' | 'idleReclaim'> {
  const { logger, clock, metrics, options, startup } = context;
  const { storage } = built.store;
  const runsSingletonDuties = (options.worker?.index ?? 0) === 0;
  // Components add what must finish before the store closes (the relay's flush).
  const shutdownSteps = createShutdownSteps(logger);
  const relay = startup.add(
    buildRelayComponent(config, {
      storage,
      metrics: metrics.outbox,
      logger,
      clock,
      holderId,
      createPublisher,
      runsSingletonDuties,
      shutdownSteps,
    }),
  );
  built.http.serve(
    buildRequestListener(config, {
      http: built.http,
      services: built.services,
      keys: built.keys,
      logger,
      clock,
      storage,
      outbox: relay.readiness,
      metrics,
      worker: options.worker,
      leanTokenPath: options.leanTokenPath ?? true,
    }),
  );
  const housekeeping = startup.add(
    buildHousekeeping(config, {
      storage,
      clock,
      logger,
      runsSingletonDuties,
      prunesOutbox: !relay.relay,
    }),
  );
  const catalogChanges = startup.add(
    buildCatalogChanges(config, { storage, catalogCache: built.services.catalogCache, logger }),
  );
  const idleReclaim = startup.add(buildIdleReclaim(config, { server: built.http.server, logger }));
  return { shutdownSteps, relay, housekeeping, catalogChanges, idleReclaim };
}

/** Lease holders are per process: a crashed process's leases lapse, a restarted one is new. */
function createLeaseHolderId(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

function logListening(config: Config, components: Components, logger: Logger): void {
  const { issuer, port } = components.http;
  if (issuer.startsWith('https:') && !config.http.trustProxy) {
    logger.warn(
      "TESSERA_ISSUER is https but TESSERA_TRUST_PROXY is false: behind a TLS-terminating proxy, every client address Tessera sees (per-address sign-in limits, logs) is the proxy's",
    );
  }
  logger.info({ issuer, storage: components.store.storage.kind, port }, 'tessera listening');
}

function tesseraOf(config: Config, components: Components, context: Context): Tessera {
  const { http, store, services, keys, relay, catalogChanges } = components;
  const stopOrder = gracefulStopOrder(components, {
    delayMs: config.http.shutdownDelayMs,
    timeoutMs: config.http.shutdownTimeoutMs,
  });
  let stopping: Promise<void> | undefined;
  return {
    issuer: http.issuer,
    server: http.server,
    storage: store.storage,
    clients: services.clients,
    resourceServers: services.resourceServers,
    accounts: services.accounts,
    factors: services.factors,
    holder: services.holder,
    signingKeyAdmin: keys.admin,
    keyRotation: keys.rotation,
    metrics: context.metrics,
    relay: relay.relay,
    catalogCache: services.catalogCache,
    catalogChanges: catalogChanges.poller,
    stop() {
      stopping ??= runStopOrder(stopOrder, context.logger);
      return stopping;
    },
  };
}
