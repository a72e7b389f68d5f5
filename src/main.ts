import cluster from 'node:cluster';

import type { Logger } from 'pino';

import { ConfigError } from './config/config-error.ts';
import { loadConfig } from './config/load-config.ts';
import type { Tessera } from './compose.ts';
import { KeyDecryptionError } from '../keys/key-encryption.ts';
import { createLogger } from './logging/create-logger.ts';
import { createClusterWorkerLink } from './metrics/cluster-metrics.ts';
import {
  runClusterPrimary,
  WORKER_INDEX_VARIABLE,
  WORKER_READY_MESSAGE,
  WORKER_STOP_MESSAGE,
} from './lifecycle/cluster-primary.ts';

/** Entry point: configuration, composition, listening, and graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // Every invalid variable, one line each, so that one restart shows all there is to fix.
      process.stderr.write(
        error.problems
          .map(({ variable, message }) => `tessera: configuration error: ${variable}: ${message}\n`)
          .join(''),
      );
      process.exit(1);
    }
    throw error;
  }

  const workerIndex = cluster.isWorker
    ? Number(process.env[WORKER_INDEX_VARIABLE] ?? 0)
    : undefined;
  // A cluster worker's lines say which worker wrote them.
  const root = createLogger(config.log.level);
  const logger = workerIndex === undefined ? root : root.child({ worker: workerIndex });
  // Once per process group: the primary warns, its cluster workers do not repeat it.
  for (const { variable, message } of workerIndex === undefined ? config.warnings : []) {
    logger.warn({ variable }, message);
  }
  for (const variable of workerIndex === undefined ? config.devDefaults : []) {
    logger.warn(
      { variable },
      `${variable} is not set: using a development value generated into the data dir`,
    );
  }

  // TESSERA_WORKERS > 1: this process supervises the workers, each of which runs main() too.
  if (config.performance.workers > 1 && cluster.isPrimary) {
    await runClusterPrimary({ workers: config.performance.workers, logger });
    return;
  }
  const worker = workerIndex === undefined ? undefined : createClusterWorkerLink(workerIndex);

  // Installed before startup: a signal that arrives while the store connects (or right after
  // "tessera listening") must still mean a graceful stop, not node's default exit.
  const signals = handleSignals(logger);
  let tessera: Tessera;
  try {
    // Loaded here, not at the top: a cluster primary never serves, and stays small without it.
    const { startTessera } = await import('./compose.ts');
    tessera = await startTessera(config, { logger, ...(worker ? { worker } : {}) });
  } catch (error) {
    exitOnStartupError(logger, error);
  }
  signals.started(tessera);
  if (worker) process.send?.(WORKER_READY_MESSAGE);
}

function exitOnStartupError(logger: Logger, error: unknown): never {
  if (error instanceof KeyDecryptionError) {
    logger.fatal(
      { reason: error.message },
      'cannot decrypt the stored signing keys: TESSERA_KEY_ENCRYPTION_KEY is not the key they were encrypted with. Nothing was changed.',
    );
  } else {
    logger.fatal({ err: error }, 'startup failed');
  }
  process.exit(1);
}

/**
 * SIGTERM/SIGINT stop Tessera gracefully (exit 0 once stopped); a second signal exits at once
 * with code 1. A signal received during startup takes effect as soon as startup completes.
 */
function handleSignals(logger: Logger): { started(tessera: Tessera): void } {
  let stopping = false;
  let resolveStarted: (tessera: Tessera) => void = () => undefined;
  const started = new Promise<Tessera>((resolve) => {
    resolveStarted = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    started
      .then((tessera) => tessera.stop())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A cluster worker: the primary asks by message; a terminal's SIGINT may have come first.
  process.on('message', (message: unknown) => {
    if (message === WORKER_STOP_MESSAGE && !stopping) onSignal('SIGTERM');
  });
  return { started: resolveStarted };
}

await main();
