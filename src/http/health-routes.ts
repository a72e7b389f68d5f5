import Router from '@koa/router';

import type { OutboxBacklog } from '../ports/outbox.ts';
import type { Storage } from '../ports/storage.ts';
import type { ProviderHolder } from '../provider/provider-holder.ts';
import { withTimeout } from '../runtime/with-timeout.ts';

/** What /readyz says about the outbox when a relay publishes it (KAFKA_BROKERS set). */
export interface OutboxReadiness {
  readonly backlog: () => Promise<OutboxBacklog>;
  /** This replica's relay: publishing, standby (another replica publishes), failing… */
  readonly relayState: () => string;
  /** More pending events than this make /readyz 503; undefined = never. */
  readonly maxBacklog: number | undefined;
  readonly clock: () => number;
}

export interface HealthDeps {
  readonly storage: Storage;
  readonly holder: ProviderHolder;
  readonly isShuttingDown: () => boolean;
  /** Why this replica cannot follow the stored signing keys, if it cannot. */
  readonly signingKeyProblem?: () => string | undefined;
  readonly outbox?: OutboxReadiness | undefined;
  readonly pingTimeoutMs?: number;
}

async function pingWithin(storage: Storage, timeoutMs: number): Promise<string | undefined> {
  try {
    await withTimeout(storage.ping(), timeoutMs);
    return undefined;
  } catch (error) {
    return `store unreachable: ${(error as Error).message}`;
  }
}

/**
 * The outbox part of /readyz. Kafka being away is reported, not failed on: every replica shares
 * one backlog, so failing readiness on it would take the whole service down with Kafka, and
 * Kafka must never stop a sign-in or a token request (docs/events.md#delivery). Only an operator's
 * explicit TESSERA_OUTBOX_MAX_BACKLOG turns a large backlog into 503.
 */
async function outboxReport(outbox: OutboxReadiness, timeoutMs: number) {
  try {
    const backlog = await withTimeout(outbox.backlog(), timeoutMs);
    const oldestAge =
      backlog.oldestPendingAt === undefined
        ? 0
        : Math.max(0, Math.round((outbox.clock() - backlog.oldestPendingAt) / 1000));
    const problem =
      outbox.maxBacklog !== undefined && backlog.pending > outbox.maxBacklog
        ? `outbox backlog ${backlog.pending} above TESSERA_OUTBOX_MAX_BACKLOG (${outbox.maxBacklog})`
        : undefined;
    return {
      body: {
        relay: outbox.relayState(),
        pending: backlog.pending,
        oldest_pending_age_seconds: oldestAge,
      },
      problem,
    };
  } catch {
    // The store ping reports an unreachable store; the backlog is simply unknown then.
    return { body: { relay: outbox.relayState() }, problem: undefined };
  }
}

/** /healthz: the process lives. /readyz: it can serve (store answers, a signing key is loaded). */
export function createHealthRoutes(deps: HealthDeps): Router {
  const router = new Router();

  router.get('/healthz', (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    const reasons: string[] = [];
    if (deps.isShuttingDown()) reasons.push('shutting down');
    const timeoutMs = deps.pingTimeoutMs ?? 2000;
    const [storeProblem, outbox] = await Promise.all([
      pingWithin(deps.storage, timeoutMs),
      deps.outbox ? outboxReport(deps.outbox, timeoutMs) : undefined,
    ]);
    if (storeProblem) reasons.push(storeProblem);
    if (!deps.holder.current().keyRing.records.some((key) => key.state === 'current')) {
      reasons.push('no signing key loaded');
    }
    const keyProblem = deps.signingKeyProblem?.();
    if (keyProblem) reasons.push(keyProblem);
    if (outbox?.problem) reasons.push(outbox.problem);
    ctx.set('cache-control', 'no-store');
    ctx.status = reasons.length === 0 ? 200 : 503;
    ctx.body = {
      ...(reasons.length === 0 ? { status: 'ready' } : { status: 'unavailable', reasons }),
      ...(outbox ? { outbox: outbox.body } : {}),
    };
  });

  return router;
}
