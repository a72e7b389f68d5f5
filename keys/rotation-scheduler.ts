import type { Logger } from 'pino';

import { KeyDecryptionError } from './key-encryption.ts';
import type { KeyReconciler } from './key-reconciler.ts';
import type { SigningKeyRing } from './signing-key-ring.ts';

export interface RotationSchedulerDeps {
  readonly reconciler: KeyReconciler;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Upper bound between two looks at the store (TESSERA_KEY_POLL_INTERVAL). */
  readonly pollIntervalMs: number;
  /** Fingerprint of the ring the served oidc-provider instance was built with. */
  readonly servedFingerprint: () => string;
  /** Builds an oidc-provider instance on `ring` and swaps it in (ProviderHolder.replace). */
  readonly serve: (ring: SigningKeyRing) => void;
}

/**
 * Runs the key lifecycle on every replica. Each pass reads the key set; when a lifecycle action is
 * due, the replica that wins the lease applies it (the others find it done on their next pass);
 * when the key set differs from the one this replica serves, it rebuilds its provider in place.
 * Passes run every poll interval, and sooner when the next lifecycle action falls due, so every
 * replica serves a change within one poll interval.
 */
export interface RotationScheduler {
  /** Starts the periodic passes (the first one at once). */
  start(): void;
  /**
   * Looks at the store now and rebuilds the provider if the keys changed; resolves when done.
   * Concurrent calls share one pass. This is the hook for "sooner when told": the events
   * consumer calls it on a `tessera.keys.rotated` event, and the admin after each change.
   */
  refresh(): Promise<void>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
  /** Why this replica cannot follow the key set (it then refuses to act), or undefined. */
  problem(): string | undefined;
}

/** Never poll in a tight loop, even when an action is due but another replica holds the lease. */
const MIN_DELAY_MS = 100;

export function createRotationScheduler(deps: RotationSchedulerDeps): RotationScheduler {
  const { reconciler, logger, clock } = deps;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  let problem: string | undefined;
  let reportedProblem: string | undefined;

  /** One pass; resolves with the delay (ms) before the next one. */
  const pass = async (): Promise<number> => {
    try {
      const result = await reconciler.reconcile();
      if (result.ring.fingerprint !== deps.servedFingerprint()) {
        deps.serve(result.ring);
        logger.info(
          {
            current: kidsIn(result.ring, 'current'),
            next: kidsIn(result.ring, 'next'),
            retired: kidsIn(result.ring, 'retired'),
          },
          'signing keys changed: serving the new key set',
        );
      }
      problem = undefined;
      reportedProblem = undefined;
      if (result.status === 'busy' || result.wakeAt === undefined) return deps.pollIntervalMs;
      return clamp(result.wakeAt - clock(), MIN_DELAY_MS, deps.pollIntervalMs);
    } catch (error) {
      if (error instanceof KeyDecryptionError) {
        // Another replica wrote keys this one cannot read (a different key-encryption key):
        // keep serving the last good keys, act on nothing, and report not ready.
        problem = `stored signing keys cannot be decrypted: ${error.message}`;
        if (reportedProblem !== problem) {
          logger.error({ reason: error.message }, 'signing keys cannot be decrypted; not acting');
          reportedProblem = problem;
        }
      } else {
        logger.warn({ err: error }, 'signing-key check failed; will retry');
      }
      return deps.pollIntervalMs;
    }
  };

  const run = (): Promise<number> => {
    if (queued) return queued;
    if (!running) {
      running = pass().finally(() => {
        running = undefined;
      });
      return running;
    }
    // A pass is in progress and may have read the store before the change we are told of.
    queued = running.then(() => {
      queued = undefined;
      return run();
    });
    return queued;
  };

  const arm = (delayMs: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void run().then(arm);
    }, delayMs);
    timer.unref();
  };

  return {
    start() {
      stopped = false;
      arm(0);
    },
    async refresh() {
      const delay = await run();
      arm(delay);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await (queued ?? running);
    },
    problem: () => problem,
  };
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

const kidsIn = (ring: SigningKeyRing, state: string) =>
  ring.records.filter((key) => key.state === state).map((key) => key.kid);
