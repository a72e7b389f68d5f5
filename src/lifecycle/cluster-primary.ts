import cluster, { type Worker } from 'node:cluster';

import type { Logger } from 'pino';

import { createMetricsAggregator } from '../metrics/cluster-metrics.ts';

/** The variable a forked worker learns its index from (src/main.ts). */
export const WORKER_INDEX_VARIABLE = 'TESSERA_WORKER_INDEX';
/** Worker → primary once it serves; primary → worker to stop gracefully (like SIGTERM). */
export const WORKER_READY_MESSAGE = 'tessera:ready';
export const WORKER_STOP_MESSAGE = 'tessera:stop';
/** A worker that crashed after it served is replaced after this pause. */
const RESTART_DELAY_MS = 1000;

/**
 * TESSERA_WORKERS > 1: this process only supervises. It forks the workers (each a whole Tessera
 * on the same port, node:cluster handing out connections), starting worker 0 alone first so the
 * store's migrations and the first signing keys are made once, then the rest. A worker that
 * dies after it was ready is replaced; one that dies before it was ever ready stops everything
 * (exit 1), as a single process's startup error would. SIGTERM/SIGINT stop the workers
 * gracefully (by message, so a terminal's SIGINT, which reaches the workers too, does not count
 * twice) and exit 0 once all are gone; a second signal kills them and exits 1. /metrics is
 * summed over all workers (src/metrics/cluster-metrics.ts).
 */
export async function runClusterPrimary(options: {
  readonly workers: number;
  readonly logger: Logger;
}): Promise<void> {
  const { logger } = options;
  const live = new Map<number, Worker>();
  let stopping = false;
  const wire = createMetricsAggregator(() => [...live.values()]);

  const fork = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const worker = cluster.fork({ [WORKER_INDEX_VARIABLE]: String(index) });
      let ready = false;
      live.set(index, worker);
      wire(worker);
      worker.on('message', (message: unknown) => {
        if (message !== WORKER_READY_MESSAGE || ready) return;
        ready = true;
        resolve();
      });
      worker.once('exit', (code, signal) => {
        if (live.get(index) === worker) live.delete(index);
        if (stopping) {
          if (live.size === 0) process.exit(process.exitCode ?? 0);
          return;
        }
        if (!ready) {
          logger.fatal({ worker: index, code, signal }, 'a worker failed to start; stopping');
          process.exitCode = 1;
          stopAll();
          resolve();
          return;
        }
        logger.error({ worker: index, code, signal }, 'worker died; starting a new one');
        setTimeout(() => void fork(index), RESTART_DELAY_MS);
      });
    });

  const stopAll = () => {
    stopping = true;
    for (const worker of live.values()) {
      if (worker.isConnected()) worker.send(WORKER_STOP_MESSAGE);
      else worker.process.kill('SIGTERM');
    }
    if (live.size === 0) process.exit(process.exitCode ?? 0);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: killing the workers');
      for (const worker of live.values()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    logger.info({ signal, workers: live.size }, 'shutting down: stopping the workers');
    stopAll();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  await fork(0);
  await Promise.all(Array.from({ length: options.workers - 1 }, (_, i) => fork(i + 1)));
  if (!stopping) logger.info({ workers: options.workers }, 'tessera cluster started');
}
