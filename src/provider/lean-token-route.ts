import type { ParsedUrlQuery } from 'node:querystring';

import type Provider from 'oidc-provider';
import als from 'oidc-provider/lib/helpers/als.js';
import Params from 'oidc-provider/lib/helpers/params.js';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
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
  removeRouteHeaders,
  respondInRoute,
  secretCredentialsOf,
  setRouteHeaders,
  type LeanContext,
  type LeanEndpoint,
  type ProviderClient,
} from './lean-provider-routes.ts';
import { recordProviderRoute } from './provider-metrics.ts';

/**
 * What the lean token paths (lean-client-credentials.ts, lean-refresh-token.ts;
 * docs/decisions/0008-lean-client-credentials-path.md) share: the token route of one grant type
 * as lib/actions/token.js and lib/helpers/initialize_app.js set it up, taken apart so that the
 * grant's own handler can run without the generic steps before it.
 */

// lib/helpers/is_valid_scope.js
const SCOPE_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/u;

/** Absent, or a scope token.js's validateScope accepts (RFC 6749 section 3.3). */
export function isPlainScope(scope: ParsedUrlQuery[string]): boolean {
  return scope === undefined || (typeof scope === 'string' && SCOPE_SYNTAX.test(scope));
}

/** What serving the token route for one grant type takes, per provider instance. */
export interface TokenRoute {
  /** The grant's handler from the provider's registry (lib/actions/grants/*.js, bound). */
  readonly handler: (ctx: unknown) => Promise<void>;
  readonly allowList: ReadonlySet<string>;
  /** lib/actions/token.js stripGrantIrrelevantParams keeps these. */
  readonly kept: ReadonlySet<string>;
  readonly exposeHeaders: string;
  /** The route's first step: error(this, 'grant.error') in lib/helpers/initialize_app.js. */
  readonly handleErrors: (ctx: unknown, next: () => Promise<void>) => Promise<void>;
  /** The token route's path (configuration.routes.token). */
  readonly path: string;
}

/** The token route of `grantType` on a provider, or undefined when no lean path may serve it. */
export function tokenRouteFor(grantType: string) {
  return (provider: Provider): TokenRoute | undefined => {
    const state = instance(provider);
    const { features } = state;
    if (hasFeaturesLeanPathsSkip(features)) return undefined;
    const handler = state.grantTypeHandlers.get(grantType);
    const grantParams = state.grantTypeParams.get(grantType);
    const allParams = state.grantTypeParams.get(undefined);
    if (!handler || !grantParams || !allParams) return undefined;
    const authParams = getClientAuthParams({ oidc: { provider } });
    return {
      handler,
      allowList: new Set([...allParams, ...authParams]),
      kept: new Set([...authParams, ...grantParams]),
      // CORS.clientWithDPoP (lib/helpers/initialize_app.js)
      exposeHeaders: exposedHeadersOf(features, { dpop: true }),
      handleErrors: getErrorHandler('grant.error'),
      path: state.configuration.routes['token'] ?? '/token',
    };
  };
}

/**
 * The token route's steps up to its grant handler, for a client authenticated already
 * (lib/actions/token.js): CORS and no-store headers, the body, the parameters as assembled and
 * stripped there, the client.
 */
export function enterTokenRoute(
  ctx: LeanContext,
  route: TokenRoute,
  form: ParsedUrlQuery,
  client: ProviderClient,
): void {
  setRouteHeaders(ctx, route.exposeHeaders);
  const oidc = ctx.oidc as unknown as Record<string, unknown>;
  oidc['body'] = form;
  const params = new Params(route.allowList, form) as Record<string, unknown>;
  for (const key of Object.keys(params)) if (!route.kept.has(key)) delete params[key];
  oidc['params'] = params;
  ctx.oidc.entity('Client', client);
}

/** What sets one grant type's lean token path apart (lean-client-credentials.ts, lean-refresh-token.ts). */
export interface LeanGrant {
  readonly grantType: string;
  /** What a plain form of the grant may hold; any other parameter goes the full way. */
  readonly parameters: ReadonlySet<string>;
  /** Parameters a plain form must hold besides grant_type. */
  readonly required: readonly string[];
  /**
   * Whether a refusal the grant's handler raised is handed to oidc-provider to answer the whole
   * request itself (nothing written here); otherwise the route's error handler renders it.
   */
  readonly handsBack: (ctx: LeanContext, error: unknown) => boolean;
}

/**
 * The token route from the body on, for an authenticated client allowed the grant: the route's
 * error handler, CORS and no-store headers, the parameters, the client, then the grant's handler
 * and `grant.success`. A refusal `grant.handsBack` claims removes the headers set, tells Koa not
 * to respond and calls `handBack`; any other error goes to the route's error handler, through
 * lib/shared/client_auth.js's WWW-Authenticate step as in the full route.
 */
function runTokenRoute(
  provider: Provider,
  grant: LeanGrant,
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
        if (grant.handsBack(ctx, error)) {
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
 * Serves `form` (the urlencoded body of POST /token, already read) when it is a plain request of
 * `grant`: its grant_type and required parameters, a well-formed scope, only its parameters, plain
 * secret authentication of a client that authenticates and may use the grant. Resolves false,
 * having written nothing, for anything else and for a refusal handed back. `onServed` counts the
 * requests it answered.
 */
export function createLeanGrant(
  grant: LeanGrant,
  deps: { readonly onServed: () => void },
): LeanEndpoint {
  acknowledgeHandedOverBodies();
  const routeOf = perProvider(tokenRouteFor(grant.grantType));
  return async (provider, req, res, form) => {
    if (form['grant_type'] !== grant.grantType || !isPlainScope(form['scope'])) return false;
    // secretCredentialsOf admits each parameter once and non-empty.
    const credentials = secretCredentialsOf(req, form, grant.parameters);
    if (!credentials || grant.required.some((name) => form[name] === undefined)) return false;
    const route = routeOf(provider);
    if (!route || req.method !== 'POST' || req.url !== route.path) return false;
    const tokenRoute = route;
    const ctx = createRouteContext(provider, req, res, 'token', route.path);
    return als.run(ctx, async () => {
      const client = await authenticatedClient(provider, credentials);
      if (!client?.grantTypeAllowed(grant.grantType)) return false;
      // What provider-metrics.ts records from the router's match, for the access line.
      recordProviderRoute(req, tokenRoute.path);
      let handedBack = false;
      const handBack = () => {
        handedBack = true;
      };
      await respondInRoute(
        provider,
        ctx,
        runTokenRoute(provider, grant, tokenRoute, form, client, handBack),
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
