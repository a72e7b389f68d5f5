import Router from '@koa/router';

import type { Storage } from '../ports/storage.ts';
import type { ProviderHolder } from '../provider/provider-holder.ts';

export interface HealthDeps {
  readonly storage: Storage;
  readonly holder: ProviderHolder;
  readonly isShuttingDown: () => boolean;
  /** Why this replica cannot follow the stored signing keys, if it cannot. */
  readonly signingKeyProblem?: () => string | undefined;
  readonly pingTimeoutMs?: number;
}

async function pingWithin(storage: Storage, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      storage.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return undefined;
  } catch (error) {
    return `store unreachable: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
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
    const storeProblem = await pingWithin(deps.storage, deps.pingTimeoutMs ?? 2000);
    if (storeProblem) reasons.push(storeProblem);
    if (!deps.holder.current().keyRing.records.some((key) => key.state === 'current')) {
      reasons.push('no signing key loaded');
    }
    const keyProblem = deps.signingKeyProblem?.();
    if (keyProblem) reasons.push(keyProblem);
    ctx.set('cache-control', 'no-store');
    ctx.status = reasons.length === 0 ? 200 : 503;
    ctx.body = reasons.length === 0 ? { status: 'ready' } : { status: 'unavailable', reasons };
  });

  return router;
}
