import type { Logger } from 'pino';

import type { LeaseStore } from '../src/ports/leases.ts';
import type { SigningKeyRecord, SigningKeyStore } from '../src/ports/signing-keys.ts';
import type { KeyEncrypter } from './key-encryption.ts';
import {
  decideLifecycleAction,
  hasCurrentKeyForEveryAlg,
  type LifecycleAction,
} from './key-lifecycle.ts';
import type { KeyLifecycleWriter } from './key-lifecycle-writer.ts';
import type { KeySchedule } from './key-schedule.ts';
import { buildSigningKeyRing, fingerprintOf, type SigningKeyRing } from './signing-key-ring.ts';

/** The lease that makes one replica at a time change the signing keys. */
export const SIGNING_KEYS_LEASE = 'signing-keys';

export interface KeyReconcilerDeps {
  readonly keys: SigningKeyStore;
  readonly leases: LeaseStore;
  readonly writer: KeyLifecycleWriter;
  readonly encrypter: KeyEncrypter;
  readonly schedule: KeySchedule;
  readonly clock: () => number;
  readonly logger: Logger;
  /** This process's lease holder id. */
  readonly holderId: string;
  /** Longer than any one action takes (key generation, one write); a crashed holder's lapses. */
  readonly leaseTtlMs: number;
}

export interface ReconcileResult {
  /** The key set as stored after this run, decrypted. */
  readonly ring: SigningKeyRing;
  /** `busy`: an action was due but another replica held the lease; it is acting. */
  readonly status: 'settled' | 'busy';
  /** When the lifecycle next has something to do, absent other changes. */
  readonly wakeAt: number | undefined;
}

/** Enough for any converging sequence (bootstrap, promote, create-next, delete) with margin. */
const MAX_STEPS = 8;

/**
 * One pass of the key lifecycle: read the keys, and when an action is due take the lease and
 * apply actions until none is. The keys are decrypted before anything is decided, so a replica
 * whose key-encryption key cannot read the store (KeyDecryptionError) never writes to it.
 */
export interface KeyReconciler {
  reconcile(): Promise<ReconcileResult>;
  /** Reads and decrypts the stored keys without acting. */
  read(): Promise<SigningKeyRing>;
}

export function createKeyReconciler(deps: KeyReconcilerDeps): KeyReconciler {
  const { keys, leases, schedule, clock, logger } = deps;
  let cached: SigningKeyRing | undefined;

  /** Decrypts only when the key set changed: polls are frequent, changes rare. */
  const ringOf = (records: readonly SigningKeyRecord[]): SigningKeyRing => {
    if (cached?.fingerprint !== fingerprintOf(records)) {
      cached = buildSigningKeyRing(records, deps.encrypter);
    }
    return cached;
  };
  const read = async () => ringOf(await keys.list());

  const applyUnderLease = async (): Promise<void> => {
    for (let step = 0; step < MAX_STEPS; step += 1) {
      const { records } = await read();
      const action = decideLifecycleAction(records, schedule, clock());
      if (action.kind === 'wait') return;
      // A stalled holder whose lease lapsed must not act on; the next pass starts over.
      if (!(await leases.renew(SIGNING_KEYS_LEASE, deps.holderId, deps.leaseTtlMs))) return;
      const applied = await deps.writer.apply(records, action);
      logAction(logger, action, applied);
    }
    logger.warn({ steps: MAX_STEPS }, 'signing-key lifecycle did not settle; will retry');
  };

  return {
    read,
    async reconcile() {
      const before = await read();
      const due = decideLifecycleAction(before.records, schedule, clock());
      if (due.kind === 'wait') return { ring: before, status: 'settled', wakeAt: due.until };

      const lease = await leases.acquire(SIGNING_KEYS_LEASE, deps.holderId, deps.leaseTtlMs);
      if (!lease) return { ring: before, status: 'busy', wakeAt: undefined };
      try {
        await applyUnderLease();
      } finally {
        await leases.release(SIGNING_KEYS_LEASE, deps.holderId);
      }
      const after = await read();
      const next = decideLifecycleAction(after.records, schedule, clock());
      return {
        ring: after,
        status: 'settled',
        wakeAt: next.kind === 'wait' ? next.until : clock(),
      };
    },
  };
}

function logAction(logger: Logger, action: LifecycleAction, applied: boolean): void {
  if (!applied) {
    logger.info({ action: action.kind }, 'signing keys changed meanwhile; deciding again');
    return;
  }
  switch (action.kind) {
    case 'promote':
      logger.info(
        { generation: action.generation, retired: action.retire, reason: action.reason },
        'signing keys rotated: next generation now signs',
      );
      return;
    case 'delete':
      logger.info({ kids: action.kids, reason: action.reason }, 'signing keys deleted');
      return;
    default:
      logger.info({ action: action.kind }, 'signing keys updated');
  }
}

/** Whether a ring can sign every token type: a current key for each algorithm. */
export function canSign(ring: SigningKeyRing): boolean {
  return hasCurrentKeyForEveryAlg(ring.records);
}

/**
 * Startup: brings the stored keys into shape (on an empty store, creates a current and a next
 * generation) and returns them decrypted. When replicas start together on an empty store one
 * creates the keys and the others wait for them, up to `timeoutMs`. Throws KeyDecryptionError,
 * having written nothing, when the configured key-encryption key cannot read the stored keys.
 */
export async function ensureSigningKeyRing(
  reconciler: KeyReconciler,
  options: { readonly timeoutMs: number; readonly retryMs: number },
): Promise<SigningKeyRing> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const { ring } = await reconciler.reconcile();
    if (canSign(ring)) return ring;
    if (performance.now() > deadline) {
      throw new Error(
        `no signing keys after ${options.timeoutMs} ms: another replica holds the ` +
          `"${SIGNING_KEYS_LEASE}" lease and has not created them`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryMs));
  }
}
