import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseForm } from 'node:querystring';

import type { Logger } from 'pino';

import type { AccessLog } from '../logging/access-log.ts';
import type { HttpMetrics } from '../metrics/create-metrics.ts';
import type { LeanEndpoint } from '../provider/lean-provider-routes.ts';
import type { ProviderHolder, ProviderInstance } from '../provider/provider-holder.ts';
import { providerRouteOf } from '../provider/provider-metrics.ts';
import { INTERNAL_PROBLEM } from './problem.ts';
import { acceptRequestId, observeCompletion, setSecurityHeaders } from './request-observation.ts';
import { readableForm, readFormBody, type FormBody, type ReadableForm } from './token-form-body.ts';

/**
 * oidc-provider endpoints that answer machines only, with JSON (RFC 6749 section 5, RFC 7662
 * section 2.2, RFC 7009 section 2.2, RFC 7517): the token endpoint's hot path. They render no
 * page, so they need no Content-Security-Policy, and none of Tessera's Koa routes can match them.
 */
const FAST_PATHS = new Set(['/token', '/token/introspection', '/token/revocation', '/jwks']);

export interface ProviderFastPathDeps {
  readonly holder: ProviderHolder;
  readonly https: boolean;
  readonly jwksMaxAge: number;
  readonly metrics: HttpMetrics;
  readonly accessLog: AccessLog;
  readonly logger: Logger;
  /**
   * The lean paths by endpoint path (lean-client-credentials.ts for /token,
   * lean-introspection.ts for /token/introspection); empty sends every request through
   * oidc-provider's whole pipeline.
   */
  readonly leanEndpoints: ReadonlyMap<string, LeanEndpoint>;
}

/**
 * A form POST to an endpoint with a lean path: that path when the request is one it serves,
 * otherwise oidc-provider with the body already read handed over as `req.body`
 * (lib/shared/selective_body.js takes it when the stream has been consumed, and parses it itself).
 */
async function serveLeanly(
  instance: ProviderInstance,
  req: IncomingMessage,
  res: ServerResponse,
  form: ReadableForm,
  lean: LeanEndpoint,
): Promise<void> {
  let body: FormBody;
  try {
    body = await readFormBody(req, form);
  } catch {
    // The client went away mid-body: nobody is left to answer.
    res.destroy();
    return;
  }
  if (await lean(instance.provider, req, res, parseForm(body.text))) return;
  (req as IncomingMessage & { body?: Buffer | string }).body = body.raw;
  await instance.handle(req, res);
}

/**
 * Serves the machine endpoints straight from the Node request, without Tessera's Koa app in
 * front of oidc-provider's own: the same request id, security headers, access line and metrics
 * as every other response (request-observation.ts), minus a second Koa context, three router
 * passes and the middleware chain per token request (docs/benchmarks.md "Performance"). Returns
 * false for any other path, which the Koa app then serves.
 */
export function createProviderFastPath(deps: ProviderFastPathDeps) {
  return function serveFast(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (!FAST_PATHS.has(path)) return false;

    const started = performance.now();
    const requestId = acceptRequestId(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    setSecurityHeaders(res, deps.https);
    if (path === '/jwks') res.setHeader('cache-control', `public, max-age=${deps.jwksMaxAge}`);
    observeCompletion(res, deps, () => ({
      requestId,
      method: req.method ?? 'GET',
      path,
      route: providerRouteOf(req) ?? 'unmatched',
      started,
    }));
    // Captured now: a key rotation that swaps the instance mid-request must not matter.
    const instance = deps.holder.current();
    const lean = path === url ? deps.leanEndpoints.get(path) : undefined;
    const form = lean ? readableForm(req) : undefined;
    const served =
      lean && form ? serveLeanly(instance, req, res, form, lean) : instance.handle(req, res);
    served.catch((error: unknown) => {
      // oidc-provider answers its own errors; anything escaping it is a bug: a bare 500.
      deps.logger.error({ err: error, requestId }, 'request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.statusCode = INTERNAL_PROBLEM.status;
      res.setHeader('content-type', 'application/problem+json');
      res.end(JSON.stringify(INTERNAL_PROBLEM));
    });
    return true;
  };
}
