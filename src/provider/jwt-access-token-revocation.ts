import type { ClientStore } from '../ports/clients.ts';
import type { OidcModelStore } from '../ports/oidc-models.ts';
import type { ResourceServerRecord } from '../ports/resource-servers.ts';
import type { RevokedJwtStore } from '../ports/revoked-jwts.ts';
import { revocationOptionsFor, revokeGrant } from './grant-revocation.ts';
import { singleAudience } from './introspection-entitlement.ts';
import type { VerifiedJwtAccessToken } from './jwt-access-token-verifier.ts';
import { withStoreErrors } from './protocol-errors.ts';
import { JWT_RECORD_FORMAT, type RemovalEvents } from './removal-events.ts';

export interface JwtAccessTokenRevocationDeps {
  /** Holds the records of grant-bound JWTs (jwt-access-token-records.ts). */
  readonly models: OidcModelStore;
  readonly revokedJwts: RevokedJwtStore;
  /** Served from memory (src/storage/catalog-cache.ts). */
  readonly clients: ClientStore;
  /** Resource servers by audience, from memory too. */
  readonly findResourceServer: (audience: string) => Promise<ResourceServerRecord | undefined>;
  readonly removalEvents: RemovalEvents;
}

/**
 * Where the revocation of a JWT access token Tessera issued is kept, by its kind:
 * - a user's token (`at~` jti) is bound to a grant and recorded as it is issued
 *   (jwt-access-token-records.ts); every revocation of it — this one, its grant's, its account's,
 *   its client's — removes that record. Present means in force.
 * - a client-credentials token (`cc~` jti) is recorded nowhere when issued (a store write per
 *   token would cost the JWT path its point); revoking it records its `jti` in the
 *   RevokedJwtStore until its `exp`. Absent means in force.
 * Either way, knowing whether it is revoked is one read by primary key.
 */
export function createJwtAccessTokenRevocation(deps: JwtAccessTokenRevocationDeps) {
  /**
   * A deleted resource server's tokens are not served, as for stored tokens (orphan-filter.ts).
   * One created after the token was issued is another one under the same audience: its deleted
   * namesake's tokens stay dead. `iat` counts whole seconds, and so does the comparison.
   */
  const isResourceServerKept = async (token: VerifiedJwtAccessToken) => {
    const audience = singleAudience(token.claims['aud']);
    if (audience === undefined) return true;
    const server = await withStoreErrors(() => deps.findResourceServer(audience));
    return server !== undefined && Math.floor(server.createdAt / 1000) <= token.iat;
  };

  return {
    /**
     * Whether a verified token is still in force: its client exists and has not had its tokens
     * revoked since the token was issued (ClientRecord.tokensRevokedAt), its resource server
     * still exists, and the token itself is not revoked. Every lookup but the last is served from
     * memory; the last is the one store read.
     */
    async isInForce(token: VerifiedJwtAccessToken): Promise<boolean> {
      const client = await withStoreErrors(() => deps.clients.get(token.clientId));
      if (!client) return false;
      if (client.tokensRevokedAt !== undefined && token.iat <= client.tokensRevokedAt) return false;
      if (!(await isResourceServerKept(token))) return false;
      if (token.kind === 'ClientCredentials') {
        return !(await withStoreErrors(() => deps.revokedJwts.has(token.jti)));
      }
      const record = await withStoreErrors(() => deps.models.find('AccessToken', token.jti));
      return record?.['format'] === JWT_RECORD_FORMAT && record['clientId'] === token.clientId;
    },

    /**
     * Revokes a verified token at its client's request (RFC 7009 section 2.1), announcing it
     * with `tessera.token.revoked` in the same write. A user's token takes its grant with it, as
     * revoking an opaque access token does (oidc-provider lib/actions/revocation.js). Revoking a
     * token again finds nothing to remove and records nothing: one event per token.
     */
    async revoke(token: VerifiedJwtAccessToken): Promise<void> {
      if (token.kind === 'ClientCredentials') {
        const { jti, clientId, exp } = token;
        await withStoreErrors(() =>
          deps.revokedJwts.add(
            { jti, exp },
            {
              events: [
                deps.removalEvents.clientCredentialsJwtRevoked(
                  { jti, clientId, exp },
                  'revocation_endpoint',
                ),
              ],
            },
          ),
        );
        return;
      }
      const reason = 'revocation_endpoint';
      const removed = await withStoreErrors(() =>
        deps.models.destroy(
          'AccessToken',
          token.jti,
          revocationOptionsFor(deps.removalEvents, 'AccessToken', reason),
        ),
      );
      const grantId = removed?.grantId;
      if (typeof grantId === 'string') {
        await withStoreErrors(() => revokeGrant(deps.models, deps.removalEvents, grantId, reason));
      }
    },
  };
}

export type JwtAccessTokenRevocation = ReturnType<typeof createJwtAccessTokenRevocation>;
