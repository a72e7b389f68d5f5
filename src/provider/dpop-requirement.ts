import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { ResourceServerRecord } from '../ports/resource-servers.ts';
import { withStoreErrors } from './protocol-errors.ts';

/**
 * A resource server's `requireDpop` at the token endpoint: a request for its audience without a
 * `DPoP` header is refused, so every token issued for it is DPoP-bound.
 *
 * The header's presence is what is checked here; its validity is oidc-provider's. Every grant
 * Tessera enables validates the proof before it resolves the resource (lib/actions/grants/
 * client_credentials.js, authorization_code.js and refresh_token.js call validateDpop first, and
 * an invalid proof ends the request with `invalid_dpop_proof`), then binds the access token to
 * the proof's key. So a request that gets past this check with a header has a valid proof, and
 * its token carries `cnf.jkt`.
 *
 * The refusal is `invalid_request`: the proof is missing, not invalid, which RFC 6749 section 5.2
 * calls a request "missing a required parameter"; RFC 9449 reserves `invalid_dpop_proof` (section
 * 5) for a proof that was sent and fails its checks, and oidc-provider answers a missing `DPoP`
 * header where one is required the same way (lib/helpers/oidc_context.js, "`DPoP` header not
 * provided").
 */
export function assertDpopProofFor(ctx: KoaContextWithOIDC, record: ResourceServerRecord): void {
  // The authorization endpoint resolves resources too; a proof belongs to the token request.
  if (!record.requireDpop || ctx.oidc.route !== 'token' || ctx.get('DPoP')) return;
  throw new errors.InvalidRequest(
    `DPoP proof JWT not provided: resource ${record.audience} issues only DPoP-bound access tokens`,
  );
}

export interface RefreshRotationDeps {
  /** Resource servers by audience (the catalog cache). */
  readonly findResourceServer: (audience: string) => Promise<ResourceServerRecord | undefined>;
}

/**
 * `rotateRefreshToken`: every use rotates (RFC 9700 section 4.14.2), and a refresh that would be
 * refused for lack of a DPoP proof is refused before the rotation. oidc-provider consumes the
 * presented refresh token before it resolves the access token's resource
 * (lib/actions/grants/refresh_token.js), so a refusal there would leave the client with a consumed
 * token whose next use revokes the whole grant. This hook runs after the token, grant and account
 * checks and right before the consumption, with the refresh token at
 * `ctx.oidc.entities.RefreshToken`; the resource is the request's `resource`, else the one the
 * token holds (lib/helpers/resolve_resource.js, with `useGrantedResource` always true).
 */
export function createRefreshRotation(deps: RefreshRotationDeps) {
  return async (ctx: KoaContextWithOIDC): Promise<boolean> => {
    if (ctx.get('DPoP')) return true;
    const requested: unknown =
      ctx.oidc.params?.['resource'] ?? ctx.oidc.entities.RefreshToken?.resource;
    for (const audience of [requested].flat()) {
      if (typeof audience !== 'string') continue;
      const record = await withStoreErrors(() => deps.findResourceServer(audience));
      if (record) assertDpopProofFor(ctx, record);
    }
    return true;
  };
}
