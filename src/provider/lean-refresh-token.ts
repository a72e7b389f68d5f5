import type { ParsedUrlQuery } from 'node:querystring';

import type Provider from 'oidc-provider';
import als from 'oidc-provider/lib/helpers/als.js';

import {
  acknowledgeHandedOverBodies,
  authenticatedClient,
  challengeBasic,
  createRouteContext,
  perProvider,
  respondInRoute,
  secretCredentialsOf,
  type LeanContext,
  type LeanEndpoint,
  type ProviderClient,
} from './lean-provider-routes.ts';
import {
  enterTokenRoute,
  isPlainScope,
  tokenRouteFor,
  type TokenRoute,
} from './lean-token-route.ts';
import { recordProviderRoute } from './provider-metrics.ts';

/**
 * The lean refresh-token path (docs/decisions/0008-lean-client-credentials-path.md): a plain
 * refresh request (RFC 6749 section 6) by a client authenticating with its secret, served by
 * oidc-provider's own refresh handler (lib/actions/grants/refresh_token.js, from the provider's
 * grant registry) in a context set up as its token route would (lib/actions/token.js), without
 * the route's generic steps. Rotation, reuse detection, the grant and account checks, Tessera's
 * rotateRefreshToken hook (dpop-requirement.ts), the tokens, their records and events are the
 * library's.
 *
 * Unlike client credentials, every request that reaches the handler is answered here, refusals
 * included: the handler has side effects before it can refuse (it consumes the presented token,
 * and on reuse of a consumed one destroys it and revokes the grant, RFC 9700 section 4.14.2), so
 * handing the request to oidc-provider afterwards would run it twice. A refusal is rendered by
 * the token route's own error handler (lib/shared/error_handler.js, `grant.error`), as the full
 * route renders it. Whatever is not plain is declined before the handler runs.
 */

/** What a plain refresh form may hold (token.js + refresh_token.js `parameters`, `resource`). */
const PLAIN_PARAMETERS = new Set([
  'grant_type',
  'refresh_token',
  'scope',
  'resource',
  'client_id',
  'client_secret',
]);

const routeOfRefresh = tokenRouteFor('refresh_token');

/**
 * The token route from the body on, for an authenticated client allowed the grant: the route's
 * error handler, CORS and no-store headers, the parameters, the client, then the refresh handler
 * and `grant.success`. Every error the handler throws goes to the route's error handler, through
 * lib/shared/client_auth.js's WWW-Authenticate step as in the full route.
 */
function runRefreshRoute(
  provider: Provider,
  route: TokenRoute,
  form: ParsedUrlQuery,
  client: ProviderClient,
) {
  return (ctx: LeanContext) =>
    route.handleErrors(ctx, async () => {
      enterTokenRoute(ctx, route, form, client);
      try {
        await route.handler(ctx);
      } catch (error) {
        challengeBasic(provider, ctx, error);
        throw error;
      }
      provider.emit('grant.success', ctx);
    });
}

/**
 * Serves `form` (the urlencoded body of POST /token, already read) when it is a plain refresh
 * request: grant_type refresh_token, a refresh_token, a well-formed scope, at most one resource,
 * plain secret authentication of a client that authenticates and may use the grant. Resolves
 * false, having written and changed nothing, for anything else; once the handler has run, the
 * answer is this path's, success or refusal. `onServed` counts the requests it answered.
 */
export function createLeanRefreshToken(deps: { readonly onServed: () => void }): LeanEndpoint {
  acknowledgeHandedOverBodies();
  const routeOf = perProvider(routeOfRefresh);
  return async (provider, req, res, form) => {
    if (form['grant_type'] !== 'refresh_token' || !isPlainScope(form['scope'])) return false;
    const credentials = secretCredentialsOf(req, form, PLAIN_PARAMETERS);
    // secretCredentialsOf admits each parameter once and non-empty: refresh_token is a value.
    if (!credentials || form['refresh_token'] === undefined) return false;
    const route = routeOf(provider);
    if (!route || req.method !== 'POST' || req.url !== route.path) return false;
    const refreshRoute = route;
    const ctx = createRouteContext(provider, req, res, 'token', route.path);
    return als.run(ctx, async () => {
      const client = await authenticatedClient(provider, credentials);
      if (!client?.grantTypeAllowed('refresh_token')) return false;
      // What provider-metrics.ts records from the router's match, for the access line.
      recordProviderRoute(req, refreshRoute.path);
      await respondInRoute(provider, ctx, runRefreshRoute(provider, refreshRoute, form, client));
      deps.onServed();
      return true;
    });
  };
}
