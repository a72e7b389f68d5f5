import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

import type { AccessLog } from '../logging/access-log.ts';
import type { HttpMetrics } from '../metrics/create-metrics.ts';
import { StoreUnavailableError } from '../ports/storage.ts';
import { providerRouteOf } from '../provider/provider-metrics.ts';
import { AppError } from '../services/app-error.ts';
import { INTERNAL_PROBLEM, problemFor } from './problem.ts';
import { acceptRequestId, observeCompletion, setSecurityHeaders } from './request-observation.ts';

declare module 'koa' {
  interface DefaultState {
    requestId: string;
    log: Logger;
  }
}

/** Accepts a sane `x-request-id` or makes one; echoes it and binds it to the request's logger. */
export function requestContext(logger: Logger) {
  return async function requestContextMiddleware(ctx: Context, next: Next) {
    const requestId = acceptRequestId(ctx.get('x-request-id'));
    ctx.state.requestId = requestId;
    // Made on first use: most requests log only their access line, which needs no child logger.
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', {
      get: () => (log ??= logger.child({ requestId })),
      configurable: true,
      enumerable: true,
    });
    ctx.set('x-request-id', requestId);
    await next();
  };
}

/**
 * On completion of each request: one access-log line and the HTTP metrics (see
 * observeCompletion). The route label is the template the request matched — Tessera's routers
 * (`@koa/router` sets `ctx._matchedRoute`) or oidc-provider's — or `unmatched`.
 */
export function observeRequests(metrics: HttpMetrics, accessLog: AccessLog) {
  return async function observeRequestsMiddleware(ctx: Context, next: Next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      observeCompletion(ctx.res, { metrics, accessLog }, () => ({
        requestId: ctx.state.requestId,
        method: ctx.method,
        path: ctx.path,
        route: routeOf(ctx),
        started,
      }));
    }
  };
}

function routeOf(ctx: Context): string {
  const own = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof own === 'string') return own;
  return providerRouteOf(ctx.req) ?? 'unmatched';
}

/**
 * Headers every response carries. Written to the Node response so they also reach responses
 * oidc-provider writes itself.
 */
export function securityHeaders(options: { https: boolean }) {
  return async function securityHeadersMiddleware(ctx: Context, next: Next) {
    setSecurityHeaders(ctx.res, options.https);
    await next();
  };
}

/** Maps Tessera's own errors to RFC 9457 problem+json; anything unexpected is a bare 500. */
export function problemResponses() {
  return async function problemMiddleware(ctx: Context, next: Next) {
    try {
      await next();
    } catch (error) {
      const problem =
        error instanceof AppError
          ? problemFor(error.code, error.message, error.field)
          : error instanceof StoreUnavailableError
            ? problemFor('store_unavailable', 'the store is unreachable; retry shortly')
            : undefined;
      if (problem && problem.status < 500) {
        ctx.state.log.debug({ code: problem.code }, 'request refused');
      } else {
        ctx.state.log.error({ err: error }, 'request failed');
      }
      const body = problem ?? INTERNAL_PROBLEM;
      ctx.status = body.status;
      ctx.type = 'application/problem+json';
      ctx.body = body;
    }
  };
}
