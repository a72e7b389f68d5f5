import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import { allowedScopesOf } from './client-metadata.ts';
import { ADMIN_SCOPE, isStaticScope, splitScope } from './scopes.ts';

const END_USER_ROUTES = new Set(['authorization', 'pushed_authorization_request']);

/**
 * oidc-provider checks a client's `scope` metadata only for static scopes, and only when that
 * metadata is present (lib/actions/authorization/scopes.js); a client whose allow-list holds no
 * static scope would be unrestricted. Tessera refuses, at the authorization endpoint, every scope
 * that is not on the client's own allow-list (`tessera_scopes`), and `tessera:admin` always:
 * invalid_scope (RFC 6749 section 4.1.2.1) sent back to the client's redirect URI.
 *
 * `withoutResource`: the request names no resource, so a scope that is not static belongs to a
 * resource server the client forgot to name (oidc-provider would drop it silently).
 */
export function assertAuthorizationScopes(
  ctx: KoaContextWithOIDC,
  client: object | undefined,
  options: { withoutResource: boolean },
): void {
  if (!END_USER_ROUTES.has(ctx.oidc.route)) return;
  const allowed: ReadonlySet<string> = client ? allowedScopesOf(client) : new Set<string>();
  for (const scope of splitScope(ctx.oidc.params?.scope)) {
    if (scope === ADMIN_SCOPE) {
      throw new errors.InvalidScope(
        `${ADMIN_SCOPE} is only issued through client credentials`,
        scope,
      );
    }
    if (!allowed.has(scope)) {
      throw new errors.InvalidScope('requested scope is not allowed for this client', scope);
    }
    if (options.withoutResource && !isStaticScope(scope)) {
      throw new errors.InvalidScope(
        'requested scope belongs to a resource server: send its audience as the resource parameter',
        scope,
      );
    }
  }
}

/** Consent grants only what the client may have, whatever reached the consent step. */
export function isGrantableScope(client: object, scope: string): boolean {
  return scope !== ADMIN_SCOPE && allowedScopesOf(client).has(scope);
}
