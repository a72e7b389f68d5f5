import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import { deferStop } from '../lifecycle/deferred-stop.ts';
import type { StartedComponent } from '../lifecycle/startup.ts';
import type { Storage } from '../ports/storage.ts';
import type { CatalogCache } from '../storage/catalog-cache.ts';
import {
  createCatalogChangePoller,
  type CatalogChangePoller,
} from '../storage/catalog-change-poller.ts';

export interface CatalogChangesDeps {
  readonly storage: Pick<Storage, 'catalogGeneration'>;
  readonly catalogCache: Pick<CatalogCache, 'invalidateAll'>;
  readonly logger: Logger;
}

/** Drops this replica's cached catalog when another replica changed a client or resource server. */
export interface CatalogChangesComponent extends StartedComponent {
  /** Undefined when polling or the cache is off. */
  readonly poller: CatalogChangePoller | undefined;
  start(): void;
  /** No new reads of the catalog generation from now; one in progress goes on. */
  beginStop(): void;
  /** Resolves once a read in progress has finished. */
  stop(): Promise<void>;
}

export function buildCatalogChanges(
  config: Config,
  deps: CatalogChangesDeps,
): CatalogChangesComponent {
  // Without a cache there is nothing to drop; with polling off, the TTL alone bounds staleness.
  const poller =
    config.performance.catalogPollMs > 0 && config.performance.clientCacheTtlMs > 0
      ? createCatalogChangePoller({
          generation: deps.storage.catalogGeneration,
          onChange: () => deps.catalogCache.invalidateAll(),
          intervalMs: config.performance.catalogPollMs,
          logger: deps.logger.child({ component: 'catalog-changes' }),
        })
      : undefined;
  const stopping = deferStop(async () => poller?.stop());
  return {
    name: 'catalog changes',
    poller,
    start: () => poller?.start(),
    beginStop: () => stopping.begin(),
    stop: () => stopping.finish(),
    abort: () => stopping.finish(),
  };
}
