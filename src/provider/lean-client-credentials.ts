import type { ParsedUrlQuery } from 'node:querystring';

import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import als from 'oidc-provider/lib/helpers/als.js';

import {
  acknowledgeHandedOverBodies,
  authenticatedClient,
  challengeBasic,
  createRouteContext,
  perProvider,
  removeRouteHeaders,
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
 * The lean client-credentials token path (docs/decisions/0008-lean-client-credentials-path.md):
 * the plain, successful client-credentials request served without oidc-provider's generic
 * per-request pipeline (router, CORS, body and parameter assembly, duplicate checks, client
 * authentication middlewares), but by the provider's own grant handler
 * (lib/actions/grants/client_credentials.js) in a context set up as its token route would
 * (lib/actions/token.js), so the token's format, claims, TTL, signing, stored record, events and
 * response are the library's. Anything else answers `false` before a byte is written: the caller
 * hands the request to oidc-provider, whose answer (every refusal included) stays its own.
 */

/** What a plain client-credentials form may hold; any other parameter goes the full way. */
const PLAIN_PARAMETERS = new Set(['grant_type', 'scope', 'resource', 'client_id', 'client_secret']);

const routeOfClientCredentials = tokenRouteFor('client_credentials');

/**
 * The token route's middleware stack from the body on, for an authenticated client (lib/actions/
 * token.js): the route's own error handler, CORS and no-store headers, the parameters as
 * assembled and stripped there, the client, the grant handler, `grant.success`.
 *
 * A protocol refusal the grant raises before the token is saved (invalid_scope, invalid_target,
 * a resource server's require_dpop, a store outage while reading a resource server) is not
 * answered here: the headers set are removed, Koa is told not to respond, and `handBack` is
 * called, so that oidc-provider answers the whole request itself. Only a failure once the token
 * is being saved is rendered here, by the route's own error handler.
 */
function runTokenRoute(
  provider: Provider,
  route: TokenRoute,
  form: ParsedUrlQuery,
  client: ProviderClient,
  handBack: () => void,
) {
  return (ctx: LeanContext) =>
    route.handleErrors(ctx, async () => {
      enterTokenRoute(ctx, route, form, client);
      try {
        await route.handler(ctx);
      } catch (error) {
        const { entities } = ctx.oidc as unknown as { entities: Record<string, unknown> };
        if (
          error instanceof errors.OIDCProviderError &&
          entities['ClientCredentials'] === undefined
        ) {
          removeRouteHeaders(ctx.res);
          ctx.respond = false;
          handBack();
          return;
        }
        challengeBasic(provider, ctx, error);
        throw error;
      }
      provider.emit('grant.success', ctx);
    });
}

/**
 * Serves `form` (the urlencoded body of POST /token, already read) when it is a plain
 * client-credentials request (grant_type client_credentials, a well-formed scope, plain secret
 * authentication) of a client that authenticates and may use the grant; resolves false, having
 * written nothing, for anything else. `onServed` counts the requests it answered.
 */
export function createLeanClientCredentials(deps: { readonly onServed: () => void }): LeanEndpoint {
  acknowledgeHandedOverBodies();
  const routeOf = perProvider(routeOfClientCredentials);
  return async (provider, req, res, form) => {
    if (form['grant_type'] !== 'client_credentials') return false;
    if (!isPlainScope(form['scope'])) return false;
    const credentials = secretCredentialsOf(req, form, PLAIN_PARAMETERS);
    if (!credentials) return false;
    const route = routeOf(provider);
    if (!route || req.method !== 'POST' || req.url !== route.path) return false;
    const tokenRoute = route;
    const ctx = createRouteContext(provider, req, res, 'token', route.path);
    return als.run(ctx, async () => {
      const client = await authenticatedClient(provider, credentials);
      if (!client?.grantTypeAllowed('client_credentials')) return false;
      // What provider-metrics.ts records from the router's match, for the access line.
      recordProviderRoute(req, tokenRoute.path);
      let handedBack = false;
      const handBack = () => {
        handedBack = true;
      };
      await respondInRoute(
        provider,
        ctx,
        runTokenRoute(provider, tokenRoute, form, client, handBack),
      );
      if (handedBack) {
        // Koa's handleRequest set 404 before the route ran; nothing was written.
        res.statusCode = 200;
        return false;
      }
      deps.onServed();
      return true;
    });
  };
}
