import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import type { AccessLog } from '../logging/access-log.ts';
import type { HttpMetrics } from '../metrics/create-metrics.ts';

/**
 * What every response gets, whether Tessera's Koa app serves it or the provider fast path does
 * (provider-fast-path.ts): a request id, the security headers, one access-log line and the HTTP
 * metrics.
 */

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A well-formed incoming `x-request-id`, or a fresh one. */
export function acceptRequestId(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function setSecurityHeaders(res: ServerResponse, https: boolean): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  if (https) res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
}

/** Tessera's own probe and scrape routes: logged at debug when they succeed, to keep logs useful. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export interface CompletedRequest {
  readonly requestId: string;
  readonly method: string;
  /** The path without its query string. */
  readonly path: string;
  /** The route template, never the raw path (metrics labels stay a small set). */
  readonly route: string;
  /** performance.now() when the request arrived. */
  readonly started: number;
}

/**
 * Once the response is finished (or the connection dropped): the metrics and one access-log
 * line with no query string, no headers and no bodies, so no secrets. `describe` runs then, when
 * the route is known.
 */
export function observeCompletion(
  res: ServerResponse,
  sinks: { readonly metrics: HttpMetrics; readonly accessLog: AccessLog },
  describe: () => CompletedRequest,
): void {
  const complete = () => {
    const request = describe();
    const seconds = (performance.now() - request.started) / 1000;
    const status = res.statusCode;
    sinks.metrics.observe(request.method, request.route, status, seconds);
    const level = status < 400 && QUIET_ROUTES.has(request.route) ? 'debug' : 'info';
    sinks.accessLog.write(level, {
      requestId: request.requestId,
      method: request.method,
      path: request.path,
      route: request.route,
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
    });
  };
  if (res.writableFinished || res.destroyed) complete();
  else res.once('close', complete);
}
