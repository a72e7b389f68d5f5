import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { ProviderPages } from '../interactions/provider-pages.ts';
import { acceptsCrossSitePosts } from './provider-cookies.ts';

const READ: readonly string[] = ['GET', 'HEAD'];
const AUTHORIZATION = '/AUTH';
const END_SESSION = '/SESSION/END';

/**
 * The methods oidc-provider routes at each of its paths under Tessera's configuration for
 * `issuer` (lib/helpers/initialize_app.js with the default `routes`; userinfo, introspection,
 * revocation and RP-initiated logout enabled; `enableHttpPostMethods` as acceptsCrossSitePosts
 * decides, which adds POST at /auth and /session/end). GET implies HEAD (lib/helpers/router.js);
 * OPTIONS answers the CORS preflight of the endpoints that have one. Keys are upper-cased
 * because oidc-provider's router matches paths case-insensitively.
 * test/protocol/unmatched-requests.test.ts holds this table to the running provider.
 */
export function providerMethodsFor(issuer: string): ReadonlyMap<string, readonly string[]> {
  const browser = acceptsCrossSitePosts(issuer) ? [...READ, 'POST'] : READ;
  return new Map<string, readonly string[]>([
    [AUTHORIZATION, browser],
    ['/TOKEN', ['POST', 'OPTIONS']],
    ['/TOKEN/INTROSPECTION', ['POST', 'OPTIONS']],
    ['/TOKEN/REVOCATION', ['POST', 'OPTIONS']],
    ['/ME', [...READ, 'POST', 'OPTIONS']],
    ['/JWKS', [...READ, 'OPTIONS']],
    ['/.WELL-KNOWN/OPENID-CONFIGURATION', [...READ, 'OPTIONS']],
    ['/.WELL-KNOWN/OAUTH-AUTHORIZATION-SERVER', [...READ, 'OPTIONS']],
    [END_SESSION, browser],
    ['/SESSION/END/CONFIRM', ['POST']],
    ['/SESSION/END/SUCCESS', READ],
  ]);
}

/** `path` as oidc-provider's router matches it: in any case, retried without one trailing slash. */
const endpointKey = (path: string): string =>
  (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toUpperCase();

/** The methods oidc-provider serves at `key`, or undefined when it has no endpoint there. */
function providerMethodsAt(
  methods: ReadonlyMap<string, readonly string[]>,
  key: string,
): readonly string[] | undefined {
  // `/auth/:uid` resumes an authorization request after its interaction.
  if (/^\/AUTH\/[^/]+$/.test(key)) return READ;
  return methods.get(key);
}

/**
 * oidc-provider answers nothing for a request its router does not match: the request falls
 * through to Koa's bare `404 Not Found` text. This post-middleware (oidc-provider docs
 * "Pre- and post-middlewares") answers it the way oidc-provider's own error handler answers
 * (lib/shared/error_handler.js): 405 with Allow for a known endpoint's wrong method, 404
 * otherwise, as an `invalid_request` JSON body — or the human error page when the caller
 * prefers HTML.
 */
export function installUnmatchedRequestAnswers(
  provider: Provider,
  pages: ProviderPages,
  issuer: string,
): void {
  const methods = providerMethodsFor(issuer);
  // Over plain http to a non-loopback host POST is off at the browser endpoints: say why.
  const postNeedsSecureIssuer = !acceptsCrossSitePosts(issuer);
  provider.use(async (ctx, next) => {
    await next();
    const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute !== undefined;
    if (matched || ctx.status !== 404 || ctx.body != null) return;

    const key = endpointKey(ctx.path);
    const allowed = providerMethodsAt(methods, key);
    const why =
      postNeedsSecureIssuer &&
      ctx.method === 'POST' &&
      (key === AUTHORIZATION || key === END_SESSION)
        ? ' with a plain-http issuer other than localhost (it needs SameSite=None cookies, which need https)'
        : '';
    const error = allowed
      ? new errors.InvalidRequest(`${ctx.method} is not supported at this endpoint${why}`, 405)
      : new errors.InvalidRequest('there is no endpoint at this path', 404);
    if (allowed) ctx.set('allow', allowed.join(', '));
    ctx.status = error.statusCode;
    const out = { error: error.error, error_description: error.error_description ?? '' };
    if (ctx.accepts('json', 'html') === 'html') {
      await pages.renderError(ctx as KoaContextWithOIDC, out, error);
    } else {
      ctx.body = out;
    }
  });
}
