import type { Logger } from 'pino';

import { toCloudEvent } from '../events/cloud-event.ts';
import { CLOUDEVENTS_CONTENT_TYPE } from '../events/event-schema.ts';
import type { EventPublisher, PublishedMessage } from '../ports/event-publisher.ts';
import type { LeaseStore } from '../ports/leases.ts';
import type { OutboxStore, StoredOutboxEvent } from '../ports/outbox.ts';
import { createBackoff } from '../runtime/backoff.ts';

/** The lease that makes one replica at a time the publisher (LeaseStore). */
export const RELAY_LEASE = 'outbox-relay';

export interface OutboxRelayOptions {
  /** Only events appended at least this long ago are published (PendingQuery.appendedUpTo). */
  readonly settleMs: number;
  /** Pause between looks at the outbox while there is nothing (more) to publish. */
  readonly pollIntervalMs: number;
  /** Published events older than this are pruned. */
  readonly retentionMs: number;
  readonly batchSize?: number;
  /** Longer than a publish may take (EventPublisher bounds it), so the lease outlives it. */
  readonly leaseTtlMs?: number;
  /** How often a replica that does not hold the lease checks whether it lapsed. */
  readonly standbyPollMs?: number;
  readonly pruneIntervalMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** After failing this long, give the lease up once so another replica may try. */
  readonly handoverAfterMs?: number;
}

export interface OutboxRelayDeps {
  readonly outbox: OutboxStore;
  readonly leases: LeaseStore;
  readonly publisher: EventPublisher;
  readonly metrics: { published(count: number): void; publishFailed(): void };
  readonly logger: Logger;
  readonly clock: () => number;
  /** Unique to this process (a lease holder id). */
  readonly holderId: string;
  readonly random?: () => number;
}

/**
 * `publishing`: holds the lease and publishes; `standby`: another replica does; `failing`: holds
 * the lease but cannot publish (Kafka or the store unreachable), retrying with backoff.
 */
export type RelayState = 'starting' | 'publishing' | 'standby' | 'failing' | 'stopped';

export interface OutboxRelay {
  start(): void;
  state(): RelayState;
  /**
   * Stops the loop (a publish in progress finishes). With `flush`, first publishes every event
   * appended before the call, in one pass that ends at the first failure, if this replica holds
   * or can take the lease. Then gives the lease up (another replica takes over at once) and
   * closes the publisher.
   */
  stop(options?: { flush?: boolean }): Promise<void>;
}

class PublishFailed extends Error {
  override readonly name = 'PublishFailed';
}

const WARN_EVERY_MS = 60_000;

const toMessage = (event: StoredOutboxEvent): PublishedMessage => ({
  key: event.key,
  value: JSON.stringify(toCloudEvent(event)),
  headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
});

/**
 * The outbox relay (docs/operations.md#outbox-relay-kafka): one replica at a time, holding a
 * lease, reads pending events in sequence order, publishes them (in order per key), then marks
 * them published. A crash between publishing and marking publishes them again: at-least-once,
 * with the same ids.
 * Nothing on the request path waits for it; while Kafka is away events wait in the outbox.
 */
export function createOutboxRelay(deps: OutboxRelayDeps, options: OutboxRelayOptions): OutboxRelay {
  const { outbox, leases, publisher, metrics, logger, clock, holderId } = deps;
  const batchSize = options.batchSize ?? 500;
  const leaseTtlMs = options.leaseTtlMs ?? 15_000;
  const standbyPollMs = options.standbyPollMs ?? 5_000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
  const handoverAfterMs = options.handoverAfterMs ?? 30_000;
  // Full jitter: replicas that lost Kafka together do not all retry at the same moment.
  const backoff = createBackoff(
    {
      initialMs: options.backoffBaseMs ?? 200,
      maxMs: options.backoffCapMs ?? 5_000,
      jitter: true,
    },
    deps.random,
  );

  let state: RelayState = 'starting';
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let nextPruneAt = 0;
  let failingSince: number | undefined;
  let lastWarnAt = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      wake = done;
    });

  const holdLease = async () =>
    (await leases.acquire(RELAY_LEASE, holderId, leaseTtlMs)) !== undefined;

  /** Publishes one batch of what is pending up to `appendedUpTo`; returns how many. */
  const publishBatch = async (appendedUpTo: number): Promise<number> => {
    const batch = await outbox.listPending({ limit: batchSize, appendedUpTo });
    if (batch.length === 0) return 0;
    try {
      await publisher.publish(batch.map(toMessage));
    } catch (error) {
      throw new PublishFailed('publishing to the event stream failed', { cause: error });
    }
    await outbox.markPublished(
      batch.map((event) => event.id),
      clock(),
    );
    metrics.published(batch.length);
    return batch.length;
  };

  const pruneIfDue = async () => {
    const now = clock();
    if (now < nextPruneAt) return;
    nextPruneAt = now + pruneIntervalMs;
    const pruned = await outbox.prune({ before: now - options.retentionMs, unpublished: false });
    if (pruned > 0) logger.debug({ pruned }, 'pruned published outbox events');
  };

  const recovered = () => {
    backoff.reset();
    if (failingSince !== undefined) {
      logger.info({ failingForMs: clock() - failingSince }, 'outbox relay publishing again');
      failingSince = undefined;
    }
  };

  /** Logs (rate-limited), counts, and returns how long to wait before the next attempt. */
  const failed = async (error: unknown): Promise<number> => {
    const now = clock();
    const publishing = error instanceof PublishFailed;
    if (publishing) metrics.publishFailed();
    failingSince ??= now;
    const cause = publishing ? error.cause : error;
    if (now - lastWarnAt >= WARN_EVERY_MS) {
      lastWarnAt = now;
      logger.warn(
        { err: cause, failures: backoff.failures + 1, failingForMs: now - failingSince },
        publishing
          ? 'publishing outbox events failed; they wait in the outbox and are retried'
          : 'outbox relay cannot reach the store; retrying',
      );
    } else {
      logger.debug({ err: cause }, 'outbox relay attempt failed');
    }
    state = 'failing';
    if (now - failingSince >= handoverAfterMs) {
      // Perhaps only this replica cannot reach Kafka: let another one try for a while.
      failingSince = now;
      await leases.release(RELAY_LEASE, holderId).catch(() => undefined);
      return standbyPollMs;
    }
    return backoff.next();
  };

  /** One step of the loop; returns how long to wait before the next. */
  const step = async (): Promise<number> => {
    try {
      if (!(await holdLease())) {
        state = 'standby';
        return standbyPollMs;
      }
      await pruneIfDue();
      const published = await publishBatch(clock() - options.settleMs);
      recovered();
      state = 'publishing';
      return published === batchSize ? 0 : options.pollIntervalMs;
    } catch (error) {
      return failed(error);
    }
  };

  const run = async () => {
    while (!stopping) {
      const waitMs = await step();
      if (!stopping && waitMs > 0) await sleep(waitMs);
    }
  };

  /** Publishes what was appended before `flushStart`, honouring the settle delay. */
  const flush = async (flushStart: number) => {
    for (;;) {
      if (!(await holdLease())) return;
      const published = await publishBatch(Math.min(clock() - options.settleMs, flushStart));
      if (published > 0) continue;
      const left = await outbox.listPending({ limit: 1, appendedUpTo: flushStart });
      if (left.length === 0) return;
      await sleep(Math.min(100, options.settleMs));
    }
  };

  return {
    start() {
      loop ??= run().catch((error: unknown) => {
        logger.error({ err: error }, 'outbox relay stopped unexpectedly');
      });
    },
    state: () => state,
    async stop(stopOptions = {}) {
      const flushStart = clock();
      stopping = true;
      wake?.();
      await loop;
      if (stopOptions.flush) {
        try {
          await flush(flushStart);
        } catch (error) {
          logger.warn({ err: error }, 'outbox relay could not flush; events wait in the outbox');
        }
      }
      state = 'stopped';
      await leases.release(RELAY_LEASE, holderId).catch(() => undefined);
      await publisher.close();
    },
  };
}
