import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { ProviderPages } from '../interactions/provider-pages.ts';

const READ: readonly string[] = ['GET', 'HEAD'];

/**
 * The methods oidc-provider routes at each of its paths under Tessera's configuration
 * (lib/helpers/initialize_app.js with the default `routes`, `enableHttpPostMethods` off, and
 * userinfo, introspection, revocation and RP-initiated logout enabled). GET implies HEAD
 * (lib/helpers/router.js); OPTIONS answers the CORS preflight of the endpoints that have one.
 * Keys are upper-cased because oidc-provider's router matches paths case-insensitively.
 * test/protocol/unmatched-requests.test.ts holds this table to the running provider.
 */
export const PROVIDER_METHODS: ReadonlyMap<string, readonly string[]> = new Map<
  string,
  readonly string[]
>([
  ['/AUTH', READ],
  ['/TOKEN', ['POST', 'OPTIONS']],
  ['/TOKEN/INTROSPECTION', ['POST', 'OPTIONS']],
  ['/TOKEN/REVOCATION', ['POST', 'OPTIONS']],
  ['/ME', [...READ, 'POST', 'OPTIONS']],
  ['/JWKS', [...READ, 'OPTIONS']],
  ['/.WELL-KNOWN/OPENID-CONFIGURATION', [...READ, 'OPTIONS']],
  ['/.WELL-KNOWN/OAUTH-AUTHORIZATION-SERVER', [...READ, 'OPTIONS']],
  ['/SESSION/END', READ],
  ['/SESSION/END/CONFIRM', ['POST']],
  ['/SESSION/END/SUCCESS', READ],
]);

/** The methods oidc-provider serves at `path`, or undefined when it has no endpoint there. */
function providerMethodsAt(path: string): readonly string[] | undefined {
  // The router retries without one trailing slash.
  const key = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toUpperCase();
  // `/auth/:uid` resumes an authorization request after its interaction.
  if (/^\/AUTH\/[^/]+$/.test(key)) return READ;
  return PROVIDER_METHODS.get(key);
}

/**
 * oidc-provider answers nothing for a request its router does not match: the request falls
 * through to Koa's bare `404 Not Found` text. This post-middleware (oidc-provider docs
 * "Pre- and post-middlewares") answers it the way oidc-provider's own error handler answers
 * (lib/shared/error_handler.js): 405 with Allow for a known endpoint's wrong method, 404
 * otherwise, as an `invalid_request` JSON body — or the human error page when the caller
 * prefers HTML.
 */
export function installUnmatchedRequestAnswers(provider: Provider, pages: ProviderPages): void {
  provider.use(async (ctx, next) => {
    await next();
    const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute !== undefined;
    if (matched || ctx.status !== 404 || ctx.body != null) return;

    const allowed = providerMethodsAt(ctx.path);
    const error = allowed
      ? new errors.InvalidRequest(`${ctx.method} is not supported at this endpoint`, 405)
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
