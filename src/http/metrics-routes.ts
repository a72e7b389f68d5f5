import { createHash, timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';
import type { Registry } from 'prom-client';

import { AppError } from '../services/app-error.ts';

export interface MetricsRouteDeps {
  readonly registry: Registry;
  /** The exposition served: the registry's own, or summed over cluster workers. */
  readonly text: () => Promise<string>;
  /** When set, scrapes must send `Authorization: Bearer <token>` (TESSERA_METRICS_TOKEN). */
  readonly token: string | undefined;
}

/** GET /metrics: the Prometheus text exposition of this instance's registry. */
export function createMetricsRoutes(deps: MetricsRouteDeps): Router {
  const router = new Router();
  const expected = deps.token === undefined ? undefined : digest(deps.token);

  router.get('/metrics', async (ctx) => {
    if (expected && !presentsToken(ctx.get('authorization'), expected)) {
      // RFC 6750 section 3: a protected resource names its scheme in the challenge.
      ctx.set('www-authenticate', 'Bearer realm="metrics"');
      throw new AppError('unauthorized', 'scraping /metrics needs the metrics bearer token');
    }
    ctx.set('cache-control', 'no-store');
    ctx.type = deps.registry.contentType;
    ctx.body = await deps.text();
  });
  return router;
}

/** Compares digests, so the comparison takes the same time whatever the input's length. */
function presentsToken(header: string, expected: Buffer): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  return match !== null && timingSafeEqual(digest(match[1] ?? ''), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
