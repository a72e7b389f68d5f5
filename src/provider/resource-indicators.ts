import { errors, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';

import type { ResourceServerRecord } from '../ports/resource-servers.ts';
import type { ResourceServerService } from '../services/resource-server-service.ts';
import { assertAuthorizationScopes } from './authorization-scopes.ts';
import { allowedScopesOf } from './client-metadata.ts';
import { assertDpopProofFor } from './dpop-requirement.ts';
import { withStoreErrors } from './protocol-errors.ts';
import { isStaticScope, splitScope } from './scopes.ts';

type ProviderClient = NonNullable<KoaContextWithOIDC['oidc']['client']>;

/**
 * oidc-provider only checks a client's `scope` allow-list for its static scopes, and silently
 * drops other scopes (lib/actions/grants/client_credentials.js, lib/shared/check_resource.js).
 * For client credentials Tessera is strict instead: every requested scope must be allowed to the
 * client and offered by the target (the resource server, or the static scopes without one),
 * otherwise invalid_scope (RFC 6749 section 5.2).
 */
function assertClientCredentialsScopes(
  ctx: KoaContextWithOIDC,
  client: ProviderClient | undefined,
  offered: (scope: string) => boolean,
  target: string | undefined,
): void {
  if (ctx.oidc.route !== 'token' || ctx.oidc.params?.grant_type !== 'client_credentials') return;
  const allowed: ReadonlySet<string> = client ? allowedScopesOf(client) : new Set<string>();
  for (const scope of splitScope(ctx.oidc.params.scope)) {
    if (!allowed.has(scope)) {
      throw new errors.InvalidScope('requested scope is not allowed for this client', scope);
    }
    if (!offered(scope)) {
      throw new errors.InvalidScope(
        target
          ? `requested scope is not offered by resource ${target}`
          : 'requested scope belongs to a resource server: send its audience as the resource parameter',
        scope,
      );
    }
  }
}

/** What JWT access tokens are signed with (jwt-access-token-verifier.ts checks the same). */
export const JWT_ACCESS_TOKEN_ALG = 'ES256';

export interface ResourceIndicatorDeps {
  readonly resourceServers: ResourceServerService;
}

/** features.resourceIndicators (RFC 8707), backed by the registered resource servers. */
export function createResourceIndicators(deps: ResourceIndicatorDeps) {
  return {
    enabled: true,
    async defaultResource(
      ctx: KoaContextWithOIDC,
      client: ProviderClient,
      oneOf?: readonly string[],
    ) {
      assertClientCredentialsScopes(ctx, client, isStaticScope, undefined);
      assertAuthorizationScopes(ctx, client, { withoutResource: true });
      return oneOf;
    },
    // The token endpoint may omit `resource` when the grant holds exactly one.
    useGrantedResource: async () => true,
    async getResourceServerInfo(
      ctx: KoaContextWithOIDC,
      resourceIndicator: string,
      client: ProviderClient,
    ): Promise<ResourceServer> {
      assertAuthorizationScopes(ctx, client, { withoutResource: false });
      const record = await withStoreErrors(() =>
        deps.resourceServers.findByAudience(resourceIndicator),
      );
      if (!record)
        throw new errors.InvalidTarget('resource indicator is not a registered resource server');
      const offered = offeredScopesOf(record);
      assertClientCredentialsScopes(ctx, client, (scope) => offered.has(scope), record.audience);
      assertDpopProofFor(ctx, record);
      return toResourceServerInfo(record, allowedScopesOf(client));
    },
  };
}

// Records are immutable and the catalog cache hands out the same one until it changes.
const offeredScopes = new WeakMap<ResourceServerRecord, ReadonlySet<string>>();
function offeredScopesOf(record: ResourceServerRecord): ReadonlySet<string> {
  let scopes = offeredScopes.get(record);
  if (!scopes) {
    scopes = new Set(record.scopes);
    offeredScopes.set(record, scopes);
  }
  return scopes;
}

function toResourceServerInfo(
  record: ResourceServerRecord,
  clientScopes: ReadonlySet<string>,
): ResourceServer {
  return {
    // What this client may get from this API: the API's scopes the client is allowed.
    scope: record.scopes.filter((scope) => clientScopes.has(scope)).join(' '),
    audience: record.audience,
    accessTokenTTL: record.accessTokenTtl,
    accessTokenFormat: record.accessTokenFormat,
    ...(record.accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: JWT_ACCESS_TOKEN_ALG } } } : {}),
  };
}
