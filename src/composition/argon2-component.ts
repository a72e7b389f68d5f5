import type { Worker } from 'node:worker_threads';

import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import type { StartedComponent } from '../lifecycle/startup.ts';
import { createArgon2Pool, type Argon2Pool } from '../services/passwords/argon2-pool.ts';

/** Password checks that may wait for an argon2 worker before sign-in answers "busy". */
const ARGON2_QUEUE_PER_WORKER = 32;

export interface Argon2ComponentDeps {
  readonly logger: Logger;
  /** Starts an argon2 worker thread (argon2-pool.ts); tests inject failing ones. */
  readonly startArgon2Worker?: (() => Worker) | undefined;
}

/** The argon2 worker threads that hash and verify passwords. */
export interface Argon2Component extends StartedComponent {
  readonly pool: Argon2Pool;
  stop(): Promise<void>;
}

export function buildArgon2Component(config: Config, deps: Argon2ComponentDeps): Argon2Component {
  const pool = createArgon2Pool({
    workers: config.passwords.workers,
    maxQueued: config.passwords.workers * ARGON2_QUEUE_PER_WORKER,
    niceness: config.passwords.niceness,
    logger: deps.logger.child({ component: 'argon2-pool' }),
    ...(deps.startArgon2Worker ? { startWorker: deps.startArgon2Worker } : {}),
  });
  return { name: 'argon2 pool', pool, stop: () => pool.close(), abort: () => pool.close() };
}
