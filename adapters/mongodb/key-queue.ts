import { StoreUnavailableError } from '../../src/ports/storage.ts';

/**
 * How long a change may wait for the changes of the same key queued before it in this process.
 * Below the port's operation timeout (store-errors.ts OPERATION_TIMEOUT_MS), so that a long
 * queue answers 503 rather than passing for an unreachable store.
 */
const QUEUE_TIMEOUT_MS = 10_000;

export interface KeyQueue {
  /** Runs `task` once every task queued before it for `key` in this process has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

/**
 * One queue per key within this process, first come first served; different keys run freely.
 * It stands in front of the compare-and-set loops of sign-in turns (login-throttle-store.ts,
 * account-store.ts): a burst of attempts on one key then waits here, in memory, instead of every
 * attempt losing the same compare-and-set round after round (or polling the server for the same
 * document lock, where compare-and-sets take one: document-locks.ts). Other processes still
 * contend, through the compare-and-set, which is what keeps the change atomic; this only orders
 * the local contenders.
 */
export function createKeyQueue(): KeyQueue {
  const tails = new Map<string, Promise<void>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const queuedAt = Date.now();
      const start = () => {
        if (Date.now() - queuedAt > QUEUE_TIMEOUT_MS) {
          throw new StoreUnavailableError(`${key} has too many changes queued; retry shortly`);
        }
        return task();
      };
      const result = (tails.get(key) ?? Promise.resolve()).then(start);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
