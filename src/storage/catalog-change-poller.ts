import type { Logger } from 'pino';

import type { CatalogGenerationStore } from '../ports/catalog-generation.ts';

export interface CatalogChangePollerDeps {
  readonly generation: CatalogGenerationStore;
  /** Called when the generation moved: drop every cached client and resource server. */
  readonly onChange: () => void;
  /** Milliseconds from the end of one read to the start of the next (TESSERA_CATALOG_POLL_MS). */
  readonly intervalMs: number;
  readonly logger: Logger;
}

/**
 * Makes a change to a client or resource server, made through any replica, apply on this one
 * within about one poll interval (docs/benchmarks.md "Performance"): it reads the store's catalog
 * generation (src/ports/catalog-generation.ts) and drops this replica's catalog cache when it
 * moved. TESSERA_CLIENT_CACHE_TTL stays the bound when polling fails.
 *
 * One read at a time: the next is scheduled when the last one settles, so a store slow to
 * answer (an outage, up to the adapter's timeouts) never piles reads up. A failed read is
 * logged once per outage and retried on the next tick; it never reaches a request.
 */
export interface CatalogChangePoller {
  /** Starts the periodic reads; the first one at once. */
  start(): void;
  /** Reads the generation now, dropping the cache if it moved. Never rejects. */
  poll(): Promise<void>;
  /** Stops the timer and waits for a read in progress. */
  stop(): Promise<void>;
}

export function createCatalogChangePoller(deps: CatalogChangePollerDeps): CatalogChangePoller {
  const { generation, onChange, intervalMs, logger } = deps;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let reading: Promise<void> | undefined;
  /** The generation the cache is known to be at least as new as; undefined before the first read. */
  let seen: string | undefined;
  let failing = false;

  const read = async () => {
    try {
      const current = await generation.read();
      // The first read has nothing to compare with: entries cached before it may predate a
      // change, so it drops them too (at startup there are few, if any).
      if (current !== seen) onChange();
      seen = current;
      if (failing) {
        failing = false;
        logger.info('catalog change polling works again');
      }
    } catch (error) {
      if (!failing) {
        failing = true;
        logger.warn(
          { err: error },
          'catalog change polling failed; changes made through other replicas apply here within TESSERA_CLIENT_CACHE_TTL until it works again',
        );
      }
    }
  };

  const poll = (): Promise<void> => {
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  const arm = (delayMs: number) => {
    // One timer at most, even when a stop and a start race a read in progress.
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void poll().then(() => arm(intervalMs));
    }, delayMs);
    // Never what keeps the process alive (compose.ts stops it on shutdown anyway).
    timer.unref();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      arm(0);
    },
    poll,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await reading;
    },
  };
}
