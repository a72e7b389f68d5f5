import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { hostname } from 'node:os';

import type { Logger } from 'pino';

import { createKeyEncrypter } from '../keys/key-encryption.ts';
import { createKeyLifecycleWriter } from '../keys/key-lifecycle-writer.ts';
import { createKeyReconciler, ensureSigningKeyRing } from '../keys/key-reconciler.ts';
import { createKeySchedule } from '../keys/key-schedule.ts';
import { createRotationScheduler, type RotationScheduler } from '../keys/rotation-scheduler.ts';
import { createSigningKeyAdmin, type SigningKeyAdmin } from '../keys/signing-key-admin.ts';
import type { Config } from './config/config.ts';
import { createEventFactoryFor } from './events/event-factory.ts';
import { composeServices } from './compose-services.ts';
import { createRequestListener } from './http/create-app.ts';
import { closeServer } from './lifecycle/close-server.ts';
import { createShutdownSteps } from './lifecycle/shutdown-steps.ts';
import { createMetrics, type TesseraMetrics } from './metrics/create-metrics.ts';
import type { ClusterWorkerLink } from './metrics/cluster-metrics.ts';
import { instrumentStorage } from './metrics/instrument-storage.ts';
import { createCsrfGuard } from './interactions/csrf.ts';
import { createInteractionRoutes } from './interactions/interaction-routes.ts';
import type { Storage } from './ports/storage.ts';
import { createClientCredentialsTokenLookup } from './provider/client-credentials-token.ts';
import { createRecordSealer } from './provider/model-record-protection.ts';
import { withProtectedModels } from './provider/protected-model-store.ts';
import type { ProviderHolder } from './provider/provider-holder.ts';
import { createBacklogReader } from './relay/backlog-reader.ts';
import { openRelay } from './relay/open-relay.ts';
import type { OutboxRelay } from './relay/outbox-relay.ts';
import type { AccountService } from './services/account-service.ts';
import type { ClientService } from './services/client-service.ts';
import { createArgon2Pool } from './services/passwords/argon2-pool.ts';
import type { CatalogCache } from './storage/catalog-cache.ts';
import {
  createCatalogChangePoller,
  type CatalogChangePoller,
} from './storage/catalog-change-poller.ts';
import { runDataMigrations } from './storage/data-migrations.ts';
import { dataMigrationsFor } from './storage/migrate-storage.ts';
import { openStorage } from './storage/open-storage.ts';
import { logUsernameRekey, rekeyUsernames } from './services/usernames/username-rekey.ts';
import {
  RESOURCE_SERVER_MAX_TTL,
  type ResourceServerService,
} from './services/resource-server-service.ts';

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
}

/** A running Tessera: its address, its services (for bootstrap and tests) and a graceful stop. */
export interface Tessera {
  readonly issuer: string;
  readonly server: Server;
  readonly storage: Storage;
  readonly clients: ClientService;
  readonly resourceServers: ResourceServerService;
  readonly accounts: AccountService;
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
   * shutdown steps run (relay flush…, bounded by the same timeout); then the store closes.
   * Calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

const PRUNE_INTERVAL_MS = 60_000;
/** Far longer than one lifecycle action (a key generation and one write) takes. */
const KEY_LEASE_TTL_MS = 30_000;
/** How long a replica starting on an empty store waits for another one creating the keys. */
const KEY_STARTUP_WAIT_MS = 30_000;
/** Password checks that may wait for an argon2 worker before sign-in answers "busy". */
const ARGON2_QUEUE_PER_WORKER = 32;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The composition root: stores → services → provider → app → listening server. Nothing here is
 * a module-level singleton; tests build as many instances as they like.
 */
export async function startTessera(config: Config, options: TesseraOptions): Promise<Tessera> {
  const { logger } = options;
  const clock = options.clock ?? Date.now;
  const metrics = createMetrics({ clock });
  const rawStorage = options.storage ?? (await openStorage(config, { logger, clock }));
  // Bearer artifacts are kept only hashed or sealed (provider/model-record-protection.ts).
  const sealer = createRecordSealer(config.secrets.keyEncryptionKey);
  const storage = instrumentStorage(withProtectedModels(rawStorage, sealer), metrics.store);
  // Components built below add what must finish before the store closes (relay flush, …).
  const shutdownSteps = createShutdownSteps(logger);

  let shuttingDown = false;
  let handler: RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end('{"error":"temporarily_unavailable","error_description":"starting"}');
  };
  const server = createServer((req, res) => {
    // While stopping, let each connection go after its response so clients reconnect elsewhere.
    if (shuttingDown) res.setHeader('connection', 'close');
    handler(req, res);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = config.http.issuer ?? `http://localhost:${port}`;

  const argon2Pool = createArgon2Pool({
    workers: config.passwords.workers,
    maxQueued: config.passwords.workers * ARGON2_QUEUE_PER_WORKER,
    logger: logger.child({ component: 'argon2-pool' }),
    ...(options.startArgon2Worker ? { startWorker: options.startArgon2Worker } : {}),
  });
  try {
    await runDataMigrations(storage, dataMigrationsFor(config), { clock, logger });
    const newEvent = createEventFactoryFor({
      production: config.production,
      source: issuer,
      clock,
      logger,
    });
    const schedule = createKeySchedule(config.keys, {
      ...config.tokens,
      resourceServerMaxTtl: RESOURCE_SERVER_MAX_TTL,
    });
    // Lease holders are per process: a crashed process's leases lapse, a restarted one is new.
    const holderId = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    const encrypter = createKeyEncrypter(config.secrets.keyEncryptionKey);
    const writer = createKeyLifecycleWriter({
      keys: storage.signingKeys,
      encrypter,
      newEvent,
      clock,
    });
    const reconciler = createKeyReconciler({
      keys: storage.signingKeys,
      leases: storage.leases,
      writer,
      encrypter,
      schedule,
      clock,
      logger,
      holderId,
      leaseTtlMs: KEY_LEASE_TTL_MS,
    });
    const keyRing = await ensureSigningKeyRing(reconciler, {
      timeoutMs: KEY_STARTUP_WAIT_MS,
      retryMs: 200,
    });
    // Before anything can create an account or sign in: usernames stored under older rules get
    // today's keys and skeletons (username-rekey.ts).
    logUsernameRekey(await rekeyUsernames(storage.accounts), logger);
    const {
      clients,
      resourceServers,
      accounts,
      holder,
      buildInstance,
      pageRenderer,
      catalogCache,
    } = composeServices(config, {
      storage,
      logger,
      clock,
      issuer,
      keyRing,
      argon2Pool,
      metrics,
      newEvent,
    });
    metrics.keys.trackKeys(() => holder.current().keyRing.records);
    const keyRotation = createRotationScheduler({
      reconciler,
      logger,
      clock,
      pollIntervalMs: config.keys.pollInterval * 1000,
      servedFingerprint: () => holder.current().keyRing.fingerprint,
      // In-flight requests keep the instance they captured (create-app.ts); oidc-provider
      // instances own no timers or global listeners, so the old one is collected after them.
      serve: (ring) => holder.replace(buildInstance(ring)),
    });
    const signingKeyAdmin = createSigningKeyAdmin({
      keys: storage.signingKeys,
      leases: storage.leases,
      writer,
      schedule,
      clock,
      // Its own holder id: the admin and this replica's scheduler must exclude each other too.
      holderId: `${holderId}/admin`,
      leaseTtlMs: KEY_LEASE_TTL_MS,
      onKeysChanged: () => keyRotation.refresh(),
    });

    // Pruning is idempotent and the relay claims events under a lease, so every replica may run
    // both; within one replica's cluster of worker processes, worker 0 alone does.
    const runsSingletonDuties = (options.worker?.index ?? 0) === 0;
    const relay = runsSingletonDuties
      ? openRelay(config, {
          storage,
          metrics: metrics.outbox,
          logger,
          clock,
          holderId,
        })
      : undefined;
    const outboxBacklog = createBacklogReader(storage.outbox, { maxAgeMs: 2_000 });
    if (relay) {
      metrics.outbox.trackBacklog(outboxBacklog);
      // After in-flight requests have drained, so the events they recorded are flushed too.
      shutdownSteps.add('outbox relay', () => relay.stop({ flush: true }));
    }

    handler = createRequestListener({
      logger,
      holder,
      storage,
      isShuttingDown: () => shuttingDown,
      signingKeyProblem: () => keyRotation.problem(),
      issuer,
      https: issuer.startsWith('https:'),
      trustProxy: config.http.trustProxy,
      jwksMaxAge: config.keys.jwksMaxAge,
      metrics,
      metricsText: options.worker
        ? options.worker.attachRegistry(metrics.registry)
        : () => metrics.registry.metrics(),
      metricsToken: config.metrics.token,
      pages: pageRenderer,
      interactions: createInteractionRoutes({
        holder,
        accounts,
        pages: pageRenderer,
        csrf: createCsrfGuard({
          keys: config.secrets.cookieKeys,
          https: issuer.startsWith('https:'),
        }),
      }),
      admin: {
        issuer,
        clients,
        resourceServers,
        outbox: storage.outbox,
        accounts,
        signingKeyAdmin,
        lookupToken: createClientCredentialsTokenLookup({ holder, clock }),
      },
      outbox: relay && {
        backlog: outboxBacklog,
        relayState: () => relay.state(),
        maxBacklog: config.outbox.readyMaxBacklog,
        clock,
      },
    });

    const pruner = runsSingletonDuties
      ? setInterval(() => {
          Promise.all([
            storage.oidcModels.pruneExpired(),
            storage.loginThrottle.pruneExpired(clock()),
            storage.revokedJwts.pruneExpired(),
          ]).catch((error: unknown) => {
            logger.warn({ err: error }, 'pruning expired records failed');
          });
          // With a relay, it prunes what it published; without, nothing will publish old events.
          if (!relay) {
            storage.outbox
              .prune({ before: clock() - config.outbox.retentionMs, unpublished: true })
              .catch((error: unknown) => {
                logger.warn({ err: error }, 'pruning old outbox events failed');
              });
          }
        }, PRUNE_INTERVAL_MS).unref()
      : undefined;
    // Without a cache there is nothing to drop; with polling off, the TTL alone bounds staleness.
    const catalogChanges =
      config.performance.catalogPollMs > 0 && config.performance.clientCacheTtlMs > 0
        ? createCatalogChangePoller({
            generation: storage.catalogGeneration,
            onChange: () => catalogCache.invalidateAll(),
            intervalMs: config.performance.catalogPollMs,
            logger: logger.child({ component: 'catalog-changes' }),
          })
        : undefined;

    keyRotation.start();
    relay?.start();
    catalogChanges?.start();

    if (issuer.startsWith('https:') && !config.http.trustProxy) {
      logger.warn(
        "TESSERA_ISSUER is https but TESSERA_TRUST_PROXY is false: behind a TLS-terminating proxy, every client address Tessera sees (per-address sign-in limits, logs) is the proxy's",
      );
    }
    logger.info({ issuer, storage: storage.kind, port }, 'tessera listening');

    let stopping: Promise<void> | undefined;
    const stopGracefully = async (): Promise<void> => {
      shuttingDown = true;
      clearInterval(pruner);
      // No new key-lifecycle passes; one in progress finishes before the store closes.
      const rotationStopped = keyRotation.stop();
      if (config.http.shutdownDelayMs > 0) {
        logger.info({ delayMs: config.http.shutdownDelayMs }, 'readiness off; serving until drain');
        await new Promise((resolve) => setTimeout(resolve, config.http.shutdownDelayMs));
      }
      await closeServer(server, config.http.shutdownTimeoutMs, logger);
      // Polled until the last request is answered; a read in progress finishes before the close.
      const catalogPollingStopped = catalogChanges?.stop();
      await shutdownSteps.run(config.http.shutdownTimeoutMs);
      await rotationStopped;
      await catalogPollingStopped;
      await argon2Pool.close();
      await storage.close();
    };

    return {
      issuer,
      server,
      storage,
      clients,
      resourceServers,
      accounts,
      holder,
      signingKeyAdmin,
      keyRotation,
      metrics,
      relay,
      catalogCache,
      catalogChanges,
      stop() {
        stopping ??= stopGracefully();
        return stopping;
      },
    };
  } catch (error) {
    server.close();
    await argon2Pool.close();
    if (!options.storage) await storage.close();
    throw error;
  }
}
