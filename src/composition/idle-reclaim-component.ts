import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import { createIdleDetector } from '../lifecycle/idle-detector.ts';
import { createMemoryReclaim, type MemoryReclaim } from '../lifecycle/memory-reclaim.ts';
import type { StartedComponent } from '../lifecycle/startup.ts';

/** How often the request count is looked at. */
const CHECK_INTERVAL_MS = 5_000;
/** At most this rate is quiet: health probes and metrics scrapes, not clients. */
const QUIET_REQUESTS_PER_S = 1;

export interface IdleReclaimDeps {
  /** The HTTP server, whose `request` events are counted. */
  readonly server: {
    on(event: 'request', listener: () => void): unknown;
    off(event: 'request', listener: () => void): unknown;
  };
  /**
   * Milliseconds, monotonic. Default performance.now: not Tessera's business clock, which tests
   * freeze or move by days.
   */
  readonly clock?: (() => number) | undefined;
  readonly logger: Logger;
  /** Default: V8's memory-reducing full collection (memory-reclaim.ts). */
  readonly memory?: MemoryReclaim | undefined;
  /** Default: setInterval, unref'd. Tests drive the checks by hand. */
  readonly every?: ((ms: number, check: () => void) => () => void) | undefined;
}

/**
 * Gives memory back once the server has gone quiet after traffic: the only cost under load is
 * one counter increment per request (docs/decisions/0009-idle-memory-reclaim.md).
 */
export interface IdleReclaimComponent extends StartedComponent {
  start(): void;
  stop(): void;
}

const everyInterval = (ms: number, check: () => void) => {
  const timer = setInterval(check, ms).unref();
  return () => clearInterval(timer);
};

export function buildIdleReclaim(config: Config, deps: IdleReclaimDeps): IdleReclaimComponent {
  const { server, logger } = deps;
  const clock = deps.clock ?? (() => performance.now());
  const quietForMs = config.performance.idleReclaimAfterMs;
  let requests = 0;
  const count = () => {
    requests += 1;
  };
  let cancel: (() => void) | undefined;
  const stop = () => {
    cancel?.();
    cancel = undefined;
    server.off('request', count);
  };
  return {
    name: 'idle memory reclaim',
    start() {
      if (quietForMs === 0 || cancel) return;
      const memory = deps.memory ?? createMemoryReclaim();
      const detector = createIdleDetector(
        { quietRequestsPerS: QUIET_REQUESTS_PER_S, quietForMs },
        clock,
      );
      server.on('request', count);
      cancel = (deps.every ?? everyInterval)(CHECK_INTERVAL_MS, () => {
        if (!detector.observe(requests)) return;
        const started = performance.now();
        const { rssBefore, rssAfter } = memory.reclaim();
        logger.info(
          {
            rssBeforeMb: Math.round(rssBefore / 1048576),
            rssAfterMb: Math.round(rssAfter / 1048576),
            ms: Math.round(performance.now() - started),
          },
          'quiet after traffic: memory returned to the system',
        );
      });
    },
    stop,
    abort: stop,
  };
}
