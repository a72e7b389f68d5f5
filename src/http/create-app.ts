import type { IncomingMessage, ServerResponse } from 'node:http';

import type Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';

import type { TesseraMetrics } from '../metrics/create-metrics.ts';
import { createAdminApi, type AdminApiDeps } from '../admin/admin-api.ts';
import {
  contentSecurityPolicy,
  createNonceSource,
} from '../interactions/content-security-policy.ts';
import { refuseCrossOriginPosts } from '../interactions/cross-site-posts.ts';
import type { PageRenderer } from '../interactions/page-renderer.ts';
import { createAccessLog, type AccessLog } from '../logging/access-log.ts';
import type { ProviderHolder } from '../provider/provider-holder.ts';
import { createHealthRoutes, type HealthDeps } from './health-routes.ts';
import { answerUnsettledRequest, pinOriginToIssuer, settleRequestTarget } from './issuer-origin.ts';
import { createMetricsRoutes } from './metrics-routes.ts';
import { refuseOtherMethods } from './method-not-allowed.ts';
import { createProviderFastPath } from './provider-fast-path.ts';
import type { LeanEndpoint } from '../provider/lean-provider-routes.ts';
import {
  observeRequests,
  problemResponses,
  requestContext,
  securityHeaders,
} from './middleware.ts';
import { acceptRequestId, observeCompletion, setSecurityHeaders } from './request-observation.ts';

export interface AppDeps extends HealthDeps {
  readonly logger: Logger;
  readonly holder: ProviderHolder;
  /** TESSERA_ISSUER (or the derived one): the only origin Tessera's URLs are built from. */
  readonly issuer: string;
  readonly https: boolean;
  readonly trustProxy: boolean;
  /** Seconds relying parties may cache the JWKS (docs/signing-keys.md#relying-parties). */
  readonly jwksMaxAge: number;
  readonly metrics: TesseraMetrics;
  /** The /metrics body: this registry's, or every cluster worker's summed. */
  readonly metricsText: () => Promise<string>;
  /** TESSERA_METRICS_TOKEN: when set, /metrics needs it as a bearer token. */
  readonly metricsToken: string | undefined;
  /** The hosted sign-in pages (src/interactions), served before the provider. */
  readonly interactions: Router;
  /** Renders the error page of a refused cross-origin form post. */
  readonly pages: PageRenderer;
  /** The admin API under /admin/v1 (src/admin), served before the provider. */
  readonly admin: AdminApiDeps;
  /** The lean paths by endpoint path (provider-fast-path.ts); empty: all through the provider. */
  readonly leanEndpoints: ReadonlyMap<string, LeanEndpoint>;
}

/**
 * The server's request listener: oidc-provider's machine endpoints (token, introspection,
 * revocation, JWKS) straight through the provider fast path, everything else through the Koa
 * app below.
 */
export function createRequestListener(
  deps: AppDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const accessLog = createAccessLog(deps.logger);
  const callback = createApp(deps, accessLog).callback();
  const serveFast = createProviderFastPath({ ...deps, metrics: deps.metrics.http, accessLog });
  const observation = { https: deps.https, metrics: deps.metrics.http, accessLog };
  return (req, res) => {
    const refusal = settleRequestTarget(req);
    if (refusal !== undefined) {
      refuseUnsettled(req, res, refusal, observation);
      return;
    }
    if (!serveFast(req, res)) void callback(req, res);
  };
}

/** The 400 of settleRequestTarget, with the request id, headers and access line of any answer. */
function refuseUnsettled(
  req: IncomingMessage,
  res: ServerResponse,
  description: string,
  deps: { https: boolean } & Parameters<typeof observeCompletion>[1],
): void {
  const started = performance.now();
  const requestId = acceptRequestId(req.headers['x-request-id']);
  res.setHeader('x-request-id', requestId);
  setSecurityHeaders(res, deps.https);
  observeCompletion(res, deps, () => ({
    requestId,
    method: req.method ?? 'GET',
    path: (req.url ?? '/').split('?', 1)[0] ?? '/',
    route: 'unmatched',
    started,
  }));
  answerUnsettledRequest(res, description);
}

/**
 * The HTTP surface: Tessera's own routes first, everything else to oidc-provider. The provider
 * runs as its own Koa application on the raw request (its documented `callback()` mount), so its
 * cookies, body parsing and error rendering stay exactly as upstream intends.
 */
function createApp(deps: AppDeps, accessLog: AccessLog): Koa {
  // `proxy` only makes the client address come from X-Forwarded-For: the origin is pinned.
  const app = new Koa({ proxy: deps.trustProxy });
  pinOriginToIssuer(app, deps.issuer);
  const newNonce = createNonceSource();
  const health = createHealthRoutes(deps);
  const metrics = createMetricsRoutes({
    registry: deps.metrics.registry,
    text: deps.metricsText,
    token: deps.metricsToken,
  });

  app.use(requestContext(deps.logger));
  app.use(observeRequests(deps.metrics.http, accessLog));
  app.use(securityHeaders({ https: deps.https }));
  app.use(problemResponses());
  app.use(health.routes());
  app.use(metrics.routes());
  app.use(refuseOtherMethods());
  // Before the sign-in pages and the provider's sign-out confirmation, which it guards.
  app.use(refuseCrossOriginPosts({ issuer: deps.issuer, pages: deps.pages }));
  app.use(deps.interactions.routes());
  app.use(createAdminApi(deps.admin));

  app.use(async (ctx) => {
    if (ctx.path === '/jwks') {
      ctx.res.setHeader('cache-control', `public, max-age=${deps.jwksMaxAge}`);
    }
    // Pages oidc-provider renders itself (form_post, errors, logout) get the strict policy too;
    // the hosted-page hooks replace it with their own, and form_post adds the hash of its
    // inline script to script-src (oidc-provider lib/helpers/script_src_sha.js).
    ctx.res.setHeader('content-security-policy', contentSecurityPolicy({ nonce: newNonce() }));
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
