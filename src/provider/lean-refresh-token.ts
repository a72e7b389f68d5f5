import type { LeanEndpoint } from './lean-provider-routes.ts';
import { createLeanGrant, type LeanGrant } from './lean-token-route.ts';

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

const REFRESH_TOKEN: LeanGrant = {
  grantType: 'refresh_token',
  // token.js + refresh_token.js `parameters`, and `resource`; any other goes the full way.
  parameters: new Set([
    'grant_type',
    'refresh_token',
    'scope',
    'resource',
    'client_id',
    'client_secret',
  ]),
  required: ['refresh_token'],
  // The handler has run: every refusal is answered here (see above).
  handsBack: () => false,
};

/**
 * Serves `form` (the urlencoded body of POST /token, already read) when it is a plain refresh
 * request: grant_type refresh_token, a refresh_token, a well-formed scope, at most one resource,
 * plain secret authentication of a client that authenticates and may use the grant. Resolves
 * false, having written and changed nothing, for anything else; once the handler has run, the
 * answer is this path's, success or refusal. `onServed` counts the requests it answered.
 */
export const createLeanRefreshToken = (deps: { readonly onServed: () => void }): LeanEndpoint =>
  createLeanGrant(REFRESH_TOKEN, deps);
