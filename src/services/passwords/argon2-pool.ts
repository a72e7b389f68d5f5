import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Argon2id cost parameters (RFC 9106 section 3.1); memory in KiB. */
export interface Argon2Params {
  readonly memoryKib: number;
  readonly iterations: number;
  readonly parallelism: number;
}

export interface Argon2Task extends Argon2Params {
  readonly id: number;
  readonly message: string;
  readonly nonce: Uint8Array;
  readonly tagLength: number;
}

export type Argon2Reply =
  | { readonly id: number; readonly tag: Uint8Array }
  | { readonly id: number; readonly error: string };

/** Thrown when more derivations wait than the pool accepts; sign-in answers "busy, retry". */
export class Argon2PoolBusyError extends Error {
  override readonly name = 'Argon2PoolBusyError';
}

export interface Argon2Pool {
  derive(input: Omit<Argon2Task, 'id'>): Promise<Uint8Array>;
  /** Derivations running or queued now. */
  readonly pending: number;
  /** Worker threads started so far: none until the first derivation, at most `workers`. */
  readonly threads: number;
  close(): Promise<void>;
}

interface Waiting {
  readonly task: Argon2Task;
  resolve(tag: Uint8Array): void;
  reject(error: Error): void;
}

// The worker module has this module's extension: .ts from the sources, .js in the build (tsc
// rewrites import specifiers, not URLs).
const WORKER_URL = new URL(`./argon2-worker${extname(import.meta.url)}`, import.meta.url);

/**
 * Up to `workers` threads (started on demand) deriving argon2id one task each at a time, with a bounded FIFO
 * queue. The worker count bounds both argon2's CPU share and its memory (one `memoryKib` block
 * per worker), and keeps it off libuv's thread pool (see argon2-worker.ts).
 */
export function createArgon2Pool(options: { workers: number; maxQueued: number }): Argon2Pool {
  const idle: Worker[] = [];
  const running = new Map<Worker, Waiting>();
  const queue: Waiting[] = [];
  let nextId = 1;
  let closed = false;

  let spawned = 0;

  const dispatch = () => {
    // Threads start with the first password checks that need them: each costs tens of MB of
    // memory, which a replica that only issues tokens never has to pay (README "Performance").
    while (idle.length === 0 && queue.length > 0 && spawned < options.workers && !closed) {
      idle.push(spawn());
    }
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop() as Worker;
      const waiting = queue.shift() as Waiting;
      running.set(worker, waiting);
      // A busy worker keeps the process alive until its caller has the answer.
      worker.ref();
      worker.postMessage(waiting.task);
    }
  };

  const spawn = (): Worker => {
    spawned += 1;
    const worker = new Worker(WORKER_URL);
    // Idle workers must not keep the process alive.
    worker.unref();
    worker.on('message', (reply: Argon2Reply) => {
      const waiting = running.get(worker);
      running.delete(worker);
      worker.unref();
      idle.push(worker);
      if (waiting) {
        if ('tag' in reply) waiting.resolve(reply.tag);
        else waiting.reject(new Error(`argon2 failed: ${reply.error}`));
      }
      dispatch();
    });
    worker.on('error', (error: Error) => {
      // A crashed worker is replaced; its task fails rather than hanging.
      running.get(worker)?.reject(error);
      running.delete(worker);
      const index = idle.indexOf(worker);
      if (index !== -1) idle.splice(index, 1);
      spawned -= 1;
      if (!closed) dispatch();
    });
    return worker;
  };

  return {
    derive(input) {
      if (closed) return Promise.reject(new Error('argon2 pool is closed'));
      if (queue.length >= options.maxQueued) {
        return Promise.reject(new Argon2PoolBusyError('too many password checks are waiting'));
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ task: { ...input, id: nextId++ }, resolve, reject });
        dispatch();
      });
    },
    get pending() {
      return running.size + queue.length;
    },
    get threads() {
      return spawned;
    },
    async close() {
      closed = true;
      for (const waiting of queue.splice(0)) waiting.reject(new Error('argon2 pool is closed'));
      const workers = [...idle, ...running.keys()];
      idle.length = 0;
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
