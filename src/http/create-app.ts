import Koa from 'koa';
import type { Logger } from 'pino';

import type { ProviderHolder } from '../provider/provider-holder.ts';
import { createHealthRoutes, type HealthDeps } from './health-routes.ts';
import { accessLog, problemResponses, requestContext, securityHeaders } from './middleware.ts';

export interface AppDeps extends HealthDeps {
  readonly logger: Logger;
  readonly holder: ProviderHolder;
  readonly https: boolean;
  readonly trustProxy: boolean;
  /** Seconds relying parties may cache the JWKS (DESIGN.md section 6). */
  readonly jwksMaxAge: number;
}

/**
 * The HTTP surface: Tessera's own routes first, everything else to oidc-provider. The provider
 * runs as its own Koa application on the raw request (its documented `callback()` mount), so its
 * cookies, body parsing and error rendering stay exactly as upstream intends.
 */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa({ proxy: deps.trustProxy });
  const health = createHealthRoutes(deps);

  app.use(requestContext(deps.logger));
  app.use(accessLog());
  app.use(securityHeaders({ https: deps.https }));
  app.use(problemResponses());
  app.use(health.routes());
  app.use(health.allowedMethods());

  app.use(async (ctx) => {
    if (ctx.path === '/jwks') {
      ctx.res.setHeader('cache-control', `public, max-age=${deps.jwksMaxAge}`);
    }
    // Capture the instance now: a key rotation that swaps it mid-request must not matter.
    const instance = deps.holder.current();
    ctx.respond = false;
    await instance.handle(ctx.req, ctx.res);
  });

  app.on('error', (error: unknown) => {
    deps.logger.error({ err: error }, 'unhandled application error');
  });
  return app;
}
