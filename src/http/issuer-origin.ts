import type { IncomingMessage, ServerResponse } from 'node:http';

import type Koa from 'koa';

/**
 * Every absolute URL Tessera prints (discovery, redirects, form actions, the OpenAPI `servers`)
 * is built from TESSERA_ISSUER, never from what the request says about itself. Koa derives
 * `ctx.href` and `ctx.URL` from `request.protocol` and `request.host`: the Host header (or
 * `:authority`), and X-Forwarded-Proto / X-Forwarded-Host when `app.proxy` is on
 * (koa/lib/request.js). oidc-provider, itself a Koa application, resolves every endpoint it
 * prints against `ctx.href` (`urlFor` in node_modules/oidc-provider/lib/helpers/oidc_context.js,
 * used by lib/actions/discovery.js, the interaction `returnTo`, the logout form's action), so a
 * request with `Host: evil.example` would otherwise publish endpoints on evil.example: a cache in
 * front of Tessera may keep that answer and hand it to everyone (web cache poisoning).
 *
 * `app.proxy` keeps its one other meaning: the client address comes from X-Forwarded-For.
 */
export function pinOriginToIssuer(app: Koa, issuer: string): void {
  const { protocol, host } = new URL(issuer);
  const scheme = protocol.slice(0, -1);
  // Own accessors on the application's request prototype (Koa documents `app.request` as the
  // prototype of every `ctx.request`); `origin`-derived getters (href, URL, secure, hostname)
  // follow, and so does the `secure` flag Koa hands the cookies module.
  Object.defineProperties(app.request, {
    protocol: { get: () => scheme, configurable: true },
    host: { get: () => host, configurable: true },
  });
}

/** koa/lib/request.js: a target of this form makes `ctx.href` the target itself. */
const ABSOLUTE_FORM = /^https?:\/\//i;

/**
 * What must be settled on the raw request before anything reads it. Returns why the request
 * cannot be served, or undefined:
 *
 * - More than one Host header. RFC 9112 section 3.2: a server MUST answer 400 to a request with
 *   more than one Host field line. Node's parser keeps the first and drops the rest (http
 *   `message.headers`), so a proxy that reads the last would see another host than Tessera.
 * - An absolute-form target (`GET http://evil.example/x`, RFC 9112 section 3.2.2) is rewritten
 *   to origin-form, so no URL is built from the authority it names; one that does not parse is
 *   refused.
 */
export function settleRequestTarget(req: IncomingMessage): string | undefined {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === 'host') hosts += 1;
  }
  if (hosts > 1) return 'the request carries more than one Host header';
  const target = req.url ?? '/';
  if (ABSOLUTE_FORM.test(target)) {
    const parsed = URL.parse(target);
    if (!parsed) return 'the request target is not a valid URL';
    req.url = `${parsed.pathname}${parsed.search}`;
  }
  return undefined;
}

/**
 * The 400 for a request settleRequestTarget refused, made before any route is known: in RFC 6749
 * section 5.2's shape, as oidc-provider answers its own bad requests.
 */
export function answerUnsettledRequest(res: ServerResponse, description: string): void {
  res.statusCode = 400;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  // Whatever follows on this connection was framed by a client Tessera cannot trust.
  res.setHeader('connection', 'close');
  res.end(JSON.stringify({ error: 'invalid_request', error_description: description }));
}
