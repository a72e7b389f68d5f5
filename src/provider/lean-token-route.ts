import type { ParsedUrlQuery } from 'node:querystring';

import type Provider from 'oidc-provider';
import Params from 'oidc-provider/lib/helpers/params.js';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import getErrorHandler from 'oidc-provider/lib/shared/error_handler.js';
import { getClientAuthParams } from 'oidc-provider/lib/shared/client_auth.js';

import {
  exposedHeadersOf,
  hasFeaturesLeanPathsSkip,
  setRouteHeaders,
  type LeanContext,
  type ProviderClient,
} from './lean-provider-routes.ts';

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
