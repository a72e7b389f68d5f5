import { errors } from 'oidc-provider';

import type { LeanContext, LeanEndpoint } from './lean-provider-routes.ts';
import { createLeanGrant, type LeanGrant } from './lean-token-route.ts';

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

const CLIENT_CREDENTIALS: LeanGrant = {
  grantType: 'client_credentials',
  // Any other parameter goes the full way.
  parameters: new Set(['grant_type', 'scope', 'resource', 'client_id', 'client_secret']),
  required: [],
  /**
   * A protocol refusal the grant raises before the token is saved (invalid_scope,
   * invalid_target, a resource server's require_dpop, a store outage while reading a resource
   * server) is handed back, so that oidc-provider answers the whole request itself. Only a
   * failure once the token is being saved is rendered here, by the route's own error handler.
   */
  handsBack: (ctx: LeanContext, error: unknown) => {
    const { entities } = ctx.oidc as unknown as { entities: Record<string, unknown> };
    return error instanceof errors.OIDCProviderError && entities['ClientCredentials'] === undefined;
  },
};

/**
 * Serves `form` (the urlencoded body of POST /token, already read) when it is a plain
 * client-credentials request (grant_type client_credentials, a well-formed scope, plain secret
 * authentication) of a client that authenticates and may use the grant; resolves false, having
 * written nothing, for anything else. `onServed` counts the requests it answered.
 */
export const createLeanClientCredentials = (deps: {
  readonly onServed: () => void;
}): LeanEndpoint => createLeanGrant(CLIENT_CREDENTIALS, deps);
