import type { Logger } from 'pino';

import type { MongoConnection } from './mongo-connection.ts';

/** Hears whether store operations get through (guardStoreErrors reports every outcome). */
export interface AvailabilityListener {
  succeeded(): void;
  /** An operation failed because the store was unreachable (not any other error). */
  failed(error: Error): void;
}

export interface AvailabilityOptions {
  readonly logger?: Logger | undefined;
  /** The connection to revive when it stays stuck after the server is back; none = log only. */
  readonly connection?: MongoConnection;
  /** How long operations must have failed before a fresh connection is tried. */
  readonly reviveAfterMs?: number;
  /** At most one probe per this interval while the store stays unreachable. */
  readonly probeIntervalMs?: number;
  /** After a successful probe, how long this client gets to recover on its own. */
  readonly graceMs?: number;
}

/**
 * Follows store availability from the operations themselves: logs once when they start failing
 * because the store is unreachable and once when one gets through again. (Judged by operations,
 * not by the driver's topology events: a refused connection fails requests at once while the
 * driver may keep the server "known" until its next heartbeat.)
 *
 * While operations keep failing, it also checks now and then whether a fresh client can reach
 * the server; if one can, this client is stuck (see mongo-connection.ts) and is replaced, so that
 * service resumes within seconds of the server's return instead of never.
 */
export function trackAvailability(options: AvailabilityOptions = {}): AvailabilityListener {
  const { logger, connection } = options;
  const reviveAfterMs = options.reviveAfterMs ?? 5_000;
  const probeIntervalMs = options.probeIntervalMs ?? 3_000;
  const graceMs = options.graceMs ?? 2_000;
  let unreachableSince: number | undefined;
  let lastProbeAt = 0;
  let reviving = false;

  const reviveIfStuck = () => {
    const now = Date.now();
    if (!connection || reviving || unreachableSince === undefined) return;
    if (now - unreachableSince < reviveAfterMs || now - lastProbeAt < probeIntervalMs) return;
    reviving = true;
    lastProbeAt = now;
    void (async () => {
      try {
        if (!(await connection.probe(2_000))) return;
        // The server is up. A healthy client notices within its monitor's 500 ms recheck; give
        // it a moment before concluding that this one is stuck.
        await new Promise((resolve) => setTimeout(resolve, graceMs).unref());
        if (unreachableSince === undefined) return;
        logger?.warn('MongoDB answers a fresh connection but not this one: replacing the client');
        await connection.replace();
      } catch (error) {
        logger?.warn({ err: error }, 'replacing the MongoDB client failed; will retry');
      } finally {
        reviving = false;
      }
    })();
  };

  return {
    succeeded() {
      if (unreachableSince === undefined) return;
      logger?.info({ downForMs: Date.now() - unreachableSince }, 'MongoDB is reachable again');
      unreachableSince = undefined;
    },
    failed(error) {
      if (unreachableSince === undefined) {
        unreachableSince = Date.now();
        logger?.warn(
          { reason: error.message },
          'MongoDB is unreachable; requests needing the store answer 503',
        );
      }
      reviveIfStuck();
    },
  };
}
