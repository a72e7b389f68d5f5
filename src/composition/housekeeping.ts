import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import type { StartedComponent } from '../lifecycle/startup.ts';
import type { Storage } from '../ports/storage.ts';

const PRUNE_INTERVAL_MS = 60_000;

export interface HousekeepingDeps {
  readonly storage: Storage;
  readonly clock: () => number;
  readonly logger: Logger;
  /**
   * Pruning is idempotent, so every replica may run it; within one replica's cluster of worker
   * processes, worker 0 alone does.
   */
  readonly runsSingletonDuties: boolean;
  /** With a relay, it prunes what it published; without, nothing will publish old events. */
  readonly prunesOutbox: boolean;
}

/** Removes expired records every minute. */
export interface Housekeeping extends StartedComponent {
  start(): void;
  stop(): void;
}

export function buildHousekeeping(config: Config, deps: HousekeepingDeps): Housekeeping {
  const { storage, clock, logger } = deps;
  const prune = () => {
    Promise.all([
      storage.oidcModels.pruneExpired(),
      storage.loginThrottle.pruneExpired(clock()),
      storage.revokedJwts.pruneExpired(),
    ]).catch((error: unknown) => {
      logger.warn({ err: error }, 'pruning expired records failed');
    });
    if (deps.prunesOutbox) {
      storage.outbox
        .prune({ before: clock() - config.outbox.retentionMs, unpublished: true })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'pruning old outbox events failed');
        });
    }
  };
  let pruner: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(pruner);
    pruner = undefined;
  };
  return {
    name: 'housekeeping',
    start() {
      if (deps.runsSingletonDuties && !pruner)
        pruner = setInterval(prune, PRUNE_INTERVAL_MS).unref();
    },
    stop,
    abort: stop,
  };
}
