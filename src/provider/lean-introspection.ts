import type { ParsedUrlQuery } from 'node:querystring';

import type Provider from 'oidc-provider';
import als from 'oidc-provider/lib/helpers/als.js';
import Params from 'oidc-provider/lib/helpers/params.js';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import introspectionRoute from 'oidc-provider/lib/actions/introspection.js';
import getErrorHandler from 'oidc-provider/lib/shared/error_handler.js';
import { getClientAuthParams } from 'oidc-provider/lib/shared/client_auth.js';

import {
  acknowledgeHandedOverBodies,
  authenticatedClient,
  challengeBasic,
  createRouteContext,
  exposedHeadersOf,
  hasFeaturesLeanPathsSkip,
  perProvider,
  respondInRoute,
  secretCredentialsOf,
  setRouteHeaders,
  type LeanContext,
  type LeanEndpoint,
  type ProviderClient,
} from './lean-provider-routes.ts';
import { recordProviderRoute } from './provider-metrics.ts';

/**
 * The lean introspection path (docs/decisions/0008-lean-client-credentials-path.md): a plain
 * introspection request (RFC 7662 section 2.1) of an opaque token, by a client authenticating
 * with its secret, answered by oidc-provider's own last step of the route
 * (`renderTokenResponse`, lib/actions/introspection.js: the token lookup, its validity, the
 * grant checks, Tessera's entitlement policy, introspection-entitlement.ts, and the answer)
 * without the route's generic middleware. A value with a `.` (a JWT, which Tessera answers in
 * jwt-access-token-requests.ts after oidc-provider refused it) and anything else goes the full
 * way. Every answer, `{"active":false}` included, is the library's.
 */

/** What a plain introspection form may hold. */
const PLAIN_PARAMETERS = new Set(['token', 'token_type_hint', 'client_id', 'client_secret']);

interface IntrospectionRoute {
  readonly render: (ctx: unknown) => Promise<void>;
  readonly allowList: ReadonlySet<string>;
  readonly exposeHeaders: string;
  readonly handleErrors: (ctx: unknown, next: () => Promise<void>) => Promise<void>;
  readonly path: string;
}

function introspectionRouteOf(provider: Provider): IntrospectionRoute | undefined {
  const state = instance(provider);
  const { features } = state;
  if (
    !features['introspection']?.enabled ||
    features['jwtIntrospection']?.enabled ||
    hasFeaturesLeanPathsSkip(features)
  ) {
    return undefined;
  }
  const render = introspectionRoute.find((step) => step.name === 'renderTokenResponse');
  if (!render) return undefined;
  return {
    render,
    allowList: new Set([
      'token',
      'token_type_hint',
      ...getClientAuthParams({ oidc: { provider } }),
    ]),
    // CORS.client (lib/helpers/initialize_app.js)
    exposeHeaders: exposedHeadersOf(features, { dpop: false }),
    handleErrors: getErrorHandler('introspection.error'),
    path: state.configuration.routes['introspection'] ?? '/token/introspection',
  };
}

/**
 * The introspection route from the body on, for an authenticated client: the route's own error
 * handler, CORS and no-store headers, the parameters as assembled there, the client, then
 * renderTokenResponse. The checks in between (duplicates, presence of `token`, structured
 * tokens) have nothing to refuse in a plain request of a value without a `.`
 * (lib/shared/reject_structured_tokens.js: jose's decodeProtectedHeader needs 3 or 5 parts).
 */
function runIntrospectionRoute(
  provider: Provider,
  route: IntrospectionRoute,
  form: ParsedUrlQuery,
  client: ProviderClient,
) {
  return (ctx: LeanContext) =>
    route.handleErrors(ctx, async () => {
      setRouteHeaders(ctx, route.exposeHeaders);
      const oidc = ctx.oidc as unknown as Record<string, unknown>;
      oidc['body'] = form;
      oidc['params'] = new Params(route.allowList, form);
      try {
        ctx.oidc.entity('Client', client);
        await route.render(ctx);
      } catch (error) {
        challengeBasic(provider, ctx, error);
        throw error;
      }
    });
}

/**
 * Serves `form` (the urlencoded body of POST /token/introspection, already read) when it is a
 * plain introspection of a value without a `.` by a client that authenticates with its secret;
 * resolves false, having written nothing, for anything else.
 */
export function createLeanIntrospection(deps: { readonly onServed: () => void }): LeanEndpoint {
  acknowledgeHandedOverBodies();
  const routeOf = perProvider(introspectionRouteOf);
  return async (provider, req, res, form) => {
    const { token } = form;
    if (typeof token !== 'string' || token.includes('.')) return false;
    const credentials = secretCredentialsOf(req, form, PLAIN_PARAMETERS);
    if (!credentials) return false;
    const route = routeOf(provider);
    if (!route || req.method !== 'POST' || req.url !== route.path) return false;
    const introspection = route;
    const ctx = createRouteContext(provider, req, res, 'introspection', route.path);
    return als.run(ctx, async () => {
      const client = await authenticatedClient(provider, credentials);
      if (!client) return false;
      recordProviderRoute(req, introspection.path);
      await respondInRoute(
        provider,
        ctx,
        runIntrospectionRoute(provider, introspection, form, client),
      );
      deps.onServed();
      return true;
    });
  };
}
