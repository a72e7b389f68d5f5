import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Logger } from 'pino';

import { backoffDelay, type BackoffPolicy } from '../../runtime/backoff.ts';

/** Argon2id cost parameters (RFC 9106 section 3.1); memory in KiB. */
export interface Argon2Params {
  readonly memoryKib: number;
  readonly iterations: number;
  readonly parallelism: number;
}

/**
 * The key derivations a worker runs: argon2id for Tessera's own hashes; the others only to
 * verify a hash imported from another server (imported-password-hashes.ts), which is replaced
 * by an argon2id one at its first successful sign-in.
 */
export type PasswordDerivation =
  'argon2id' | 'argon2i' | 'argon2d' | 'pbkdf2-sha256' | 'pbkdf2-sha512';

/** One derivation; a worker runs one at a time, so its reply needs no id to match it. */
export interface Argon2Task extends Argon2Params {
  /** Default argon2id. For pbkdf2, `iterations` is its count and memory and lanes are unused. */
  readonly algorithm?: PasswordDerivation | undefined;
  readonly message: string;
  readonly nonce: Uint8Array;
  readonly tagLength: number;
}

export type Argon2Reply = { readonly tag: Uint8Array } | { readonly error: string };

/** What a worker posts once its module has loaded: only then does it get tasks. */
export interface Argon2WorkerReady {
  readonly ready: true;
  /** Why the worker could not lower its thread's priority, if it could not. */
  readonly priorityError?: string | undefined;
}

/** What a worker is started with (its `workerData`). */
export interface Argon2WorkerSetup {
  /** Niceness of the worker's thread, 0–19 (Linux only; see argon2-worker.ts). */
  readonly niceness: number;
}

/** Thrown when more derivations wait than the pool accepts; sign-in answers "busy, retry". */
export class Argon2PoolBusyError extends Error {
  override readonly name = 'Argon2PoolBusyError';
}

/**
 * Thrown when no worker can run the derivation: workers fail to start (repeatedly), or a task's
 * worker died under it twice. Sign-in answers 503; the pool keeps trying to start workers.
 */
export class Argon2PoolUnavailableError extends Error {
  override readonly name = 'Argon2PoolUnavailableError';
}

export interface Argon2Pool {
  derive(task: Argon2Task): Promise<Uint8Array>;
  /** Derivations running or queued now. */
  readonly pending: number;
  /** Worker threads started and not ended: none until the first derivation, at most `workers`. */
  readonly threads: number;
  close(): Promise<void>;
}

export interface Argon2PoolOptions {
  readonly workers: number;
  readonly maxQueued: number;
  /** Starts one worker thread. Default: argon2-worker.ts; tests inject failing ones. */
  readonly startWorker?: () => Worker;
  /** Niceness of the default workers' threads (TESSERA_ARGON2_NICE); default 0. */
  readonly niceness?: number;
  /** Consecutive failed starts after which derivations fail at once (503) until one starts. */
  readonly maxStartFailures?: number;
  /** Delay before restarting after the n-th consecutive failed start: initial × 2^(n-1), capped. */
  readonly restartBackoff?: BackoffPolicy;
  /** A worker that has not said it is ready by then is ended and counted as a failed start. */
  readonly startTimeoutMs?: number;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

interface Waiting {
  readonly task: Argon2Task;
  resolve(tag: Uint8Array): void;
  reject(error: Error): void;
  /** Workers it was handed to so far. */
  attempts: number;
}

interface Slot {
  readonly worker: Worker;
  state: 'starting' | 'idle' | 'busy';
  task: Waiting | undefined;
  lastError: Error | undefined;
  startTimer: NodeJS.Timeout | undefined;
}

// The worker module has this module's extension: .ts from the sources, .js in the build (tsc
// rewrites import specifiers, not URLs).
const WORKER_URL = new URL(`./argon2-worker${extname(import.meta.url)}`, import.meta.url);

/** The default worker: argon2-worker.ts beside this module, its thread at `niceness`. */
export const startArgon2Worker = (niceness = 0): Worker => {
  const setup: Argon2WorkerSetup = { niceness };
  return new Worker(WORKER_URL, { workerData: setup });
};

/** A task whose worker dies is run once more on another before it fails. */
const MAX_ATTEMPTS = 2;

const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

const closedError = () => new Error('argon2 pool is closed');

/**
 * Up to `workers` threads, started on demand, deriving argon2id one task each at a time, with a
 * bounded FIFO queue. The worker count bounds both argon2's CPU share and its memory (one `memoryKib` block
 * per worker), and keeps it off libuv's thread pool (see argon2-worker.ts).
 *
 * Failures never leave a caller waiting for ever:
 * - a worker gets tasks only once it has said it is ready, so one that fails to load is never
 *   handed any;
 * - a worker that dies (its `exit`, whatever the cause) fails nothing silently: its task runs
 *   once more on another worker, and fails with Argon2PoolUnavailableError if that one dies too;
 * - a dead worker is replaced after a backoff that doubles with each consecutive failed start
 *   (no tight respawn loop), and after `maxStartFailures` of them, while no worker runs, the
 *   queue is failed and new derivations fail at once — sign-in answers 503, with one error line
 *   in the log — until a worker starts again;
 * - close() fails what is queued and running, stops restarts and ends every worker.
 */
export function createArgon2Pool(options: Argon2PoolOptions): Argon2Pool {
  const startWorker = options.startWorker ?? (() => startArgon2Worker(options.niceness ?? 0));
  const maxStartFailures = options.maxStartFailures ?? 3;
  const backoff = options.restartBackoff ?? { initialMs: 100, maxMs: 30_000 };
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const logger = options.logger ?? SILENT;

  const slots = new Set<Slot>();
  const queue: Waiting[] = [];
  const restarts = new Set<NodeJS.Timeout>();
  let closed = false;
  /** Consecutive failed starts; a worker becoming ready resets it. */
  let startFailures = 0;
  let unavailable = false;
  let lastFailure: Error | undefined;
  let priorityWarned = false;

  const anyRunning = () => {
    for (const slot of slots) if (slot.state !== 'starting') return true;
    return false;
  };

  const dispatch = () => {
    for (const slot of slots) {
      if (queue.length === 0) break;
      if (slot.state !== 'idle') continue;
      const waiting = queue.shift() as Waiting;
      waiting.attempts += 1;
      slot.state = 'busy';
      slot.task = waiting;
      // A busy worker keeps the process alive until its caller has the answer.
      slot.worker.ref();
      slot.worker.postMessage(waiting.task);
    }
    startWorkersFor(queue.length);
  };

  /**
   * Threads start with the first password checks that need them: each costs tens of MB of
   * memory, which a replica that only issues tokens never has to pay (docs/benchmarks.md
   * "Performance").
   * Workers still starting, or restarts waiting out their backoff, count as on their way.
   */
  const startWorkersFor = (waiting: number) => {
    let coming = restarts.size;
    for (const slot of slots) if (slot.state === 'starting') coming += 1;
    while (
      !closed &&
      !unavailable &&
      waiting > coming &&
      slots.size + restarts.size < options.workers
    ) {
      coming += 1;
      spawn();
    }
  };

  const failQueue = (error: () => Error) => {
    for (const waiting of queue.splice(0)) waiting.reject(error());
  };

  /** Asked only after a failed start, so startFailures >= 1. */
  const restartDelay = () => backoffDelay(backoff, startFailures - 1);

  const scheduleRestart = () => {
    if (closed) return;
    const delay = restartDelay();
    const timer = setTimeout(() => {
      restarts.delete(timer);
      spawn();
    }, delay);
    timer.unref();
    restarts.add(timer);
  };

  /** No worker runs and starts keep failing: fail fast instead of queueing for nothing. */
  const checkAvailability = () => {
    if (unavailable || startFailures < maxStartFailures || anyRunning()) return;
    unavailable = true;
    logger.error(
      { err: lastFailure, attempts: startFailures, workers: options.workers },
      'argon2 worker threads cannot start: sign-in and password changes answer 503 until one does',
    );
    failQueue(() => new Argon2PoolUnavailableError('no argon2 worker can start'));
  };

  const failedStart = (error: Error) => {
    startFailures += 1;
    lastFailure = error;
    logger.warn(
      { err: error, attempt: startFailures, retryInMs: restartDelay() },
      'argon2 worker failed to start',
    );
    checkAvailability();
    scheduleRestart();
  };

  const onReady = (slot: Slot, ready: Argon2WorkerReady) => {
    if (ready.priorityError !== undefined && !priorityWarned) {
      priorityWarned = true;
      logger.warn(
        { error: ready.priorityError, niceness: options.niceness },
        'argon2 worker threads run at normal priority: their niceness could not be set',
      );
    }
    if (slot.state !== 'starting' || closed) return;
    clearTimeout(slot.startTimer);
    slot.state = 'idle';
    startFailures = 0;
    if (unavailable) {
      unavailable = false;
      logger.info('argon2 worker threads are running again');
    }
    dispatch();
  };

  const onReply = (slot: Slot, reply: Argon2Reply) => {
    const waiting = slot.task;
    slot.task = undefined;
    slot.state = 'idle';
    slot.worker.unref();
    if (waiting) {
      if ('tag' in reply) waiting.resolve(reply.tag);
      else waiting.reject(new Error(`argon2 failed: ${reply.error}`));
    }
    dispatch();
  };

  const onExit = (slot: Slot, exitCode: number) => {
    clearTimeout(slot.startTimer);
    slots.delete(slot);
    const waiting = slot.task;
    slot.task = undefined;
    if (closed) {
      waiting?.reject(closedError());
      return;
    }
    if (waiting) {
      if (waiting.attempts < MAX_ATTEMPTS) queue.unshift(waiting);
      else waiting.reject(new Argon2PoolUnavailableError('argon2 workers died while deriving'));
    }
    if (slot.state === 'starting') {
      failedStart(slot.lastError ?? new Error(`argon2 worker exited with code ${exitCode}`));
    } else {
      // Replaced at once by dispatch() if a task waits (its own, run again), else on demand.
      logger.warn({ err: slot.lastError, exitCode }, 'argon2 worker died; replacing it');
    }
    dispatch();
  };

  function spawn(): void {
    if (closed) return;
    let worker: Worker;
    try {
      worker = startWorker();
    } catch (error) {
      failedStart(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const slot: Slot = {
      worker,
      state: 'starting',
      task: undefined,
      lastError: undefined,
      startTimer: undefined,
    };
    slots.add(slot);
    // Idle workers must not keep the process alive.
    worker.unref();
    slot.startTimer = setTimeout(() => {
      slot.lastError = new Error(`argon2 worker not ready within ${startTimeoutMs} ms`);
      void worker.terminate();
    }, startTimeoutMs);
    slot.startTimer.unref();
    worker.on('message', (message: Argon2Reply | Argon2WorkerReady) => {
      if ('ready' in message) onReady(slot, message);
      else onReply(slot, message);
    });
    // 'exit' always follows 'error' (and any other end): the slot is settled there, once.
    worker.on('error', (error: Error) => {
      slot.lastError = error;
    });
    worker.on('exit', (exitCode: number) => onExit(slot, exitCode));
  }

  return {
    derive(task) {
      if (closed) return Promise.reject(closedError());
      if (unavailable) {
        return Promise.reject(new Argon2PoolUnavailableError('no argon2 worker is running'));
      }
      if (queue.length >= options.maxQueued) {
        return Promise.reject(new Argon2PoolBusyError('too many password checks are waiting'));
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ task, resolve, reject, attempts: 0 });
        dispatch();
      });
    },
    get pending() {
      let running = 0;
      for (const slot of slots) if (slot.task) running += 1;
      return running + queue.length;
    },
    get threads() {
      return slots.size;
    },
    async close() {
      closed = true;
      for (const timer of restarts) clearTimeout(timer);
      restarts.clear();
      failQueue(closedError);
      // Each worker's exit rejects the task it was running (onExit).
      await Promise.all([...slots].map((slot) => slot.worker.terminate()));
    },
  };
}
