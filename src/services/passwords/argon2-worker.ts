/**
 * Worker-thread entry of the argon2 pool (argon2-pool.ts). It derives with the synchronous
 * `crypto.argon2Sync`, which runs on this thread: argon2 never enters libuv's shared thread pool,
 * where it would queue ahead of the WebCrypto signing jobs of the token endpoint (the asynchronous
 * crypto.argon2 and the argon2 npm addon both run there; see
 * docs/decisions/0001-argon2-on-node-crypto-worker-pool.md).
 */
import { argon2Sync, pbkdf2Sync } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

import type { Argon2Reply, Argon2Task, Argon2WorkerReady } from './argon2-pool.ts';

if (!parentPort) throw new Error('argon2-worker.ts runs as a worker thread only');
const port = parentPort;

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
const ready: Argon2WorkerReady = { ready: true };
port.postMessage(ready);
