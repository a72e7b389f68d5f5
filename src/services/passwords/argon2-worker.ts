/**
 * Worker-thread entry of the argon2 pool (argon2-pool.ts). It derives with the synchronous
 * `crypto.argon2Sync`, which runs on this thread: argon2 never enters libuv's shared thread pool,
 * where it would queue ahead of the WebCrypto signing jobs of the token endpoint (the asynchronous
 * crypto.argon2 and the argon2 npm addon both run there; see
 * docs/decisions/0001-argon2-on-node-crypto-worker-pool.md).
 */
import { argon2Sync, pbkdf2Sync } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

import type {
  Argon2Reply,
  Argon2Task,
  Argon2WorkerReady,
  Argon2WorkerSetup,
} from './argon2-pool.ts';

if (!parentPort) throw new Error('argon2-worker.ts runs as a worker thread only');
const port = parentPort;

/**
 * Hashing yields the CPU to the event loop: this thread runs at a lower priority
 * (TESSERA_ARGON2_NICE), so that a token request does not wait behind a password hash for a
 * core (docs/sign-in.md "Password hashing"). `os.setPriority()` with no pid is
 * libuv's uv_os_setpriority(0), setpriority(PRIO_PROCESS, 0), and on Linux a nice value belongs
 * to a thread, the calling one (setpriority(2), "BUGS"): the event loop keeps its own. Elsewhere
 * the call would lower the whole process, so it is made on Linux only. Raising one's own nice
 * value needs no privilege; a failure is reported, and the worker hashes at normal priority.
 */
function lowerPriority(niceness: number): string | undefined {
  if (niceness === 0 || process.platform !== 'linux') return undefined;
  try {
    setPriority(niceness);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
const priorityError = lowerPriority((workerData as Argon2WorkerSetup | undefined)?.niceness ?? 0);

/**
 * pbkdf2 runs here too, for hashes imported from another server (imported-password-hashes.ts):
 * the synchronous call keeps it off the event loop and off libuv's pool like argon2.
 */
function derive(task: Argon2Task): Buffer {
  const algorithm = task.algorithm ?? 'argon2id';
  if (algorithm === 'pbkdf2-sha256' || algorithm === 'pbkdf2-sha512') {
    const digest = algorithm === 'pbkdf2-sha256' ? 'sha256' : 'sha512';
    return pbkdf2Sync(task.message, task.nonce, task.iterations, task.tagLength, digest);
  }
  return argon2Sync(algorithm, {
    message: task.message,
    nonce: task.nonce,
    memory: task.memoryKib,
    passes: task.iterations,
    parallelism: task.parallelism,
    tagLength: task.tagLength,
  });
}

port.on('message', (task: Argon2Task) => {
  let reply: Argon2Reply;
  try {
    reply = { tag: new Uint8Array(derive(task)) };
  } catch (error) {
    reply = { error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});

// Only now does the pool hand this worker tasks: a worker whose module failed to load never
// gets one (argon2-pool.ts).
const ready: Argon2WorkerReady = { ready: true, priorityError };
port.postMessage(ready);
