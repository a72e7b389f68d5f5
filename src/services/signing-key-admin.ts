import type { LeaseStore } from '../ports/leases.ts';
import type { SigningAlg, SigningKeyRecord, SigningKeyStore } from '../ports/signing-keys.ts';
import { AppError } from './app-error.ts';
import { groupGenerations, nextInLine, publicationWait } from '../../keys/key-lifecycle.ts';
import type { KeyLifecycleWriter } from '../../keys/key-lifecycle-writer.ts';
import { SIGNING_KEYS_LEASE } from '../../keys/key-reconciler.ts';
import type { KeySchedule } from '../../keys/key-schedule.ts';

export interface SigningKeyView {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly state: 'next' | 'current' | 'retired';
  readonly generation: string;
  readonly createdAt: number;
  readonly activatedAt: number | undefined;
  readonly retiredAt: number | undefined;
}

/** Operator actions on the signing keys (BRIEF: exposed by the admin API and CLI). */
export interface SigningKeyAdmin {
  /** Every stored key: current first, then next, then retired. */
  list(): Promise<SigningKeyView[]>;
  /**
   * Promotes the `next` generation to current now (the current one is retired) and creates a new
   * `next`. AppError('conflict') naming the remaining wait when `next` is younger than the lead
   * time and !force.
   */
  rotate(options: { force: boolean }): Promise<SigningKeyView[]>;
  /**
   * Emergency retire: deletes the key, so it leaves JWKS at once on this replica and within one
   * poll interval on every other. Tokens it signed stop verifying once relying parties refetch.
   * AppError('conflict') when kid is the only current key of its algorithm; AppError('not_found').
   * Returns the key as it was removed (state `retired`, retiredAt = now); `list` no longer shows it.
   */
  retire(kid: string): Promise<SigningKeyView>;
}

export interface SigningKeyAdminDeps {
  readonly keys: SigningKeyStore;
  readonly leases: LeaseStore;
  readonly writer: KeyLifecycleWriter;
  readonly schedule: KeySchedule;
  readonly clock: () => number;
  readonly holderId: string;
  readonly leaseTtlMs: number;
  /** Makes this replica serve the new key set before the call returns (RotationScheduler.refresh). */
  readonly onKeysChanged: () => Promise<void>;
  /** How long to wait for a lease held by a replica in the middle of a lifecycle action. */
  readonly leaseWaitMs?: number;
}

const STATE_ORDER = { current: 0, next: 1, retired: 2 } as const;

export function toSigningKeyView(record: SigningKeyRecord): SigningKeyView {
  return {
    kid: record.kid,
    alg: record.alg,
    state: record.state,
    generation: record.generation,
    createdAt: record.createdAt,
    activatedAt: record.activatedAt,
    retiredAt: record.retiredAt,
  };
}

export function createSigningKeyAdmin(deps: SigningKeyAdminDeps): SigningKeyAdmin {
  const { keys, leases, writer, schedule, clock } = deps;

  const list = async () =>
    (await keys.list())
      .map(toSigningKeyView)
      .sort(
        (a, b) =>
          STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
          b.createdAt - a.createdAt ||
          a.alg.localeCompare(b.alg),
      );

  /** Runs `work` holding the rotation lease, so it never interleaves with a scheduled rotation. */
  const underLease = async <T>(work: () => Promise<T>): Promise<T> => {
    const deadline = performance.now() + (deps.leaseWaitMs ?? 5000);
    while (!(await leases.acquire(SIGNING_KEYS_LEASE, deps.holderId, deps.leaseTtlMs))) {
      if (performance.now() > deadline) {
        throw new AppError('conflict', 'another replica is changing the signing keys; retry');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      return await work();
    } finally {
      await leases.release(SIGNING_KEYS_LEASE, deps.holderId);
    }
  };

  return {
    list,

    async rotate({ force }) {
      await underLease(async () => {
        let records = await keys.list();
        if (!nextInLine(groupGenerations(records))) {
          await writer.apply(records, { kind: 'create-next' });
          records = await keys.list();
        }
        const generations = groupGenerations(records);
        const next = nextInLine(generations) as NonNullable<ReturnType<typeof nextInLine>>;
        const now = clock();
        const wait = publicationWait(next, schedule, now);
        if (wait && !force) {
          const published = Math.floor((now - next.createdAt) / 1000);
          const remaining = Math.ceil((wait.until - now) / 1000);
          throw new AppError(
            'conflict',
            `the next keys were published ${published} s ago; relying parties may not have ` +
              `fetched them yet. Rotation is possible in ${remaining} s, or now with force ` +
              `(relying parties still caching the old key set then reject new tokens until they refetch)`,
          );
        }
        const promoted = await writer.apply(records, {
          kind: 'promote',
          generation: next.id,
          retire: generations.filter((g) => g.state === 'current').map((g) => g.id),
          reason: wait ? 'forced' : 'manual',
        });
        if (!promoted) {
          throw new AppError('conflict', 'the signing keys changed meanwhile; retry');
        }
        await writer.apply(await keys.list(), { kind: 'create-next' });
      });
      await deps.onKeysChanged();
      return list();
    },

    async retire(kid) {
      const removed = await underLease(async () => {
        const records = await keys.list();
        const record = records.find((key) => key.kid === kid);
        if (!record) throw new AppError('not_found', `no signing key ${kid}`);
        const otherSigners = records.filter(
          (key) => key.state === 'current' && key.alg === record.alg && key.kid !== kid,
        );
        if (record.state === 'current' && otherSigners.length === 0) {
          throw new AppError(
            'conflict',
            `${kid} is the only current ${record.alg} key; rotate first (the next keys take over), then retire it`,
          );
        }
        await writer.remove(records, kid);
        return record;
      });
      await deps.onKeysChanged();
      return {
        ...toSigningKeyView(removed),
        state: 'retired',
        retiredAt: removed.retiredAt ?? clock(),
      };
    },
  };
}
