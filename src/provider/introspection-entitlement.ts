import type { ClientStore } from '../ports/clients.ts';
import type { ResourceServerRecord } from '../ports/resource-servers.ts';
import type { ResourceServerService } from '../services/resource-server-service.ts';
import { withStoreErrors } from './protocol-errors.ts';

/** The client asking: it authenticated at the introspection endpoint (RFC 7662 section 2.1). */
export interface IntrospectionCaller {
  readonly clientId: string;
  /** Its token_endpoint_auth_method is `none`: it cannot prove who it is. */
  readonly isPublic: boolean;
}

/** What the rule needs to know about the token asked about, opaque or JWT alike. */
export interface IntrospectedToken {
  /** oidc-provider's model name: `AccessToken`, `ClientCredentials`, `RefreshToken`, … */
  readonly kind: string;
  /** The client the token was issued to. */
  readonly clientId: string | undefined;
  /** The resource server the token is for (its `aud`, RFC 8707); undefined without one. */
  readonly audience: string | undefined;
}

/** Where the rule reads resource servers and clients: memory, on the hot path. */
export interface EntitlementLookups {
  /**
   * The introspectors the resource server registered for `audience` names, as client id → the
   * `createdAt` of the client named (ResourceServerIntrospector); undefined without a server.
   */
  introspectorsFor(audience: string): Promise<ReadonlyMap<string, number> | undefined>;
  /** The `createdAt` of the client now stored under `clientId`; undefined when there is none. */
  clientCreatedAt(clientId: string): Promise<number | undefined>;
}

/** Tokens that are for an audience; a refresh token is for its client alone. */
const AUDIENCE_BOUND_KINDS: ReadonlySet<string> = new Set(['AccessToken', 'ClientCredentials']);

/**
 * Whether `caller` may learn about `token` (RFC 7662 section 2.1, and section 4: the server must
 * decide whether a caller is allowed to introspect a token at all). Entitled are:
 * 1. the client the token was issued to;
 * 2. a confidential client that the token's resource server names as an introspector, for an
 *    access token whose audience is that server — bound to the client as named, so another
 *    client later created under the same id is not, and only while the token's own client
 *    still exists;
 * and nobody else: not other clients, not for refresh tokens, not for tokens without an
 * audience (client-credentials tokens without `resource`, `tessera:admin` tokens among them).
 * Lookups happen only once the cheaper checks pass: the owner costs none.
 */
export async function isEntitledToIntrospect(
  caller: IntrospectionCaller,
  token: IntrospectedToken,
  lookups: EntitlementLookups,
): Promise<boolean> {
  if (token.clientId === caller.clientId) return true;
  if (caller.isPublic || token.clientId === undefined || token.audience === undefined) {
    return false;
  }
  if (!AUDIENCE_BOUND_KINDS.has(token.kind)) return false;
  const named = (await lookups.introspectorsFor(token.audience))?.get(caller.clientId);
  if (named === undefined || (await lookups.clientCreatedAt(caller.clientId)) !== named) {
    return false;
  }
  // A deleted client's tokens are vouched for by nobody; oidc-provider would also fail reading
  // that client for a pairwise `sub` for any caller but the owner (lib/actions/introspection.js).
  return (await lookups.clientCreatedAt(token.clientId)) !== undefined;
}

/**
 * A JWT's or a stored token's `aud` as one audience: a string, or an array of exactly one
 * (RFC 7519 section 4.1.3). oidc-provider stores one audience per token (setAudience in
 * lib/models/token_helpers.js); several would name several servers, which no single one vouches
 * for, so they count as none.
 */
export function singleAudience(aud: unknown): string | undefined {
  if (typeof aud === 'string') return aud;
  if (Array.isArray(aud) && aud.length === 1 && typeof aud[0] === 'string') return aud[0];
  return undefined;
}

// Records are immutable and the catalog cache hands out the same one until it changes: one map
// per cached resource server, rebuilt only when the record is replaced.
const introspectorMaps = new WeakMap<ResourceServerRecord, ReadonlyMap<string, number>>();
function introspectorMapOf(record: ResourceServerRecord): ReadonlyMap<string, number> {
  let map = introspectorMaps.get(record);
  if (!map) {
    map = new Map(record.introspectors.map((named) => [named.clientId, named.clientCreatedAt]));
    introspectorMaps.set(record, map);
  }
  return map;
}

export interface IntrospectionPolicyDeps {
  /** Served from memory (src/storage/catalog-cache.ts). */
  readonly clients: ClientStore;
  /** Its `findByAudience` is served from memory too. */
  readonly resourceServers: Pick<ResourceServerService, 'findByAudience'>;
}

/** The lookups over the catalog cache: no store round trip while it holds the entries. */
export function createEntitlementLookups(deps: IntrospectionPolicyDeps): EntitlementLookups {
  return {
    async introspectorsFor(audience) {
      const record = await withStoreErrors(() => deps.resourceServers.findByAudience(audience));
      return record && introspectorMapOf(record);
    },
    async clientCreatedAt(clientId) {
      return (await withStoreErrors(() => deps.clients.get(clientId)))?.createdAt;
    },
  };
}

/**
 * features.introspection.allowedPolicy: oidc-provider answers `{"active":false}` when it returns
 * false, exactly as for an unknown token (lib/actions/introspection.js), as RFC 7662 section
 * 2.2 asks of a token the caller may not introspect.
 */
export function createIntrospectionPolicy(deps: IntrospectionPolicyDeps) {
  const lookups = createEntitlementLookups(deps);
  return (
    _ctx: unknown,
    client: { clientId: string; clientAuthMethod: string },
    token: { kind: string; clientId?: string | undefined; aud?: unknown },
  ): Promise<boolean> =>
    isEntitledToIntrospect(
      { clientId: client.clientId, isPublic: client.clientAuthMethod === 'none' },
      { kind: token.kind, clientId: token.clientId, audience: singleAudience(token.aud) },
      lookups,
    );
}
