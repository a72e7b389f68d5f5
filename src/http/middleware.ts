import { randomUUID } from 'node:crypto';

import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

import type { HttpMetrics } from '../metrics/create-metrics.ts';
import { StoreUnavailableError } from '../ports/storage.ts';
import { providerRouteOf } from '../provider/provider-metrics.ts';
import { AppError } from '../services/app-error.ts';
import { INTERNAL_PROBLEM, problemFor } from './problem.ts';

declare module 'koa' {
  interface DefaultState {
    requestId: string;
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a sane `x-request-id` or makes one; echoes it and binds it to the request's logger. */
export function requestContext(logger: Logger) {
  return async function requestContextMiddleware(ctx: Context, next: Next) {
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
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

/** Tessera's own probe and scrape routes: logged at debug when they succeed, to keep logs useful. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * On completion of each request: one access-log line (no query string, no headers, no bodies,
 * so no secrets) and the HTTP metrics. The route label is the template the request matched —
 * Tessera's routers (`@koa/router` sets `ctx._matchedRoute`) or oidc-provider's — or `unmatched`.
 */
export function observeRequests(metrics: HttpMetrics, logger: Logger) {
  return async function observeRequestsMiddleware(ctx: Context, next: Next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const res = ctx.res;
      const complete = () => {
        const seconds = (performance.now() - started) / 1000;
        const route = routeOf(ctx);
        const status = res.statusCode;
        metrics.observe(ctx.method, route, status, seconds);
        const level = status < 400 && QUIET_ROUTES.has(route) ? 'debug' : 'info';
        logger[level](
          {
            requestId: ctx.state.requestId,
            method: ctx.method,
            path: ctx.path,
            route,
            status,
            durationMs: Math.round(seconds * 10_000) / 10,
          },
          'request',
        );
      };
      if (res.writableFinished || res.destroyed) complete();
      else res.once('close', complete);
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
    const res = ctx.res;
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    if (options.https)
      res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
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
