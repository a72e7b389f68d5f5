import type { KoaContextWithOIDC } from 'oidc-provider';

import type { OidcModelStore } from '../ports/oidc-models.ts';
import { withStoreErrors } from './protocol-errors.ts';
import { JWT_RECORD_FORMAT } from './removal-events.ts';

interface IssuedJwt {
  readonly kind: string;
  readonly grantId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly accountId?: string | undefined;
}

interface JwtParts {
  readonly payload: Record<string, unknown>;
}

/**
 * oidc-provider never stores JWT access tokens: their format returns no payload
 * (lib/models/formats/jwt.js), and BaseModel#save only calls the adapter's upsert when there is
 * one (lib/models/base_model.js). So revoking a grant (refresh-token reuse, code reuse, logout,
 * the revocation endpoint) could not name the JWTs issued from it, and resource servers would
 * accept them until `exp`.
 *
 * This `formats.customizers.jwt` hook records each grant-bound JWT access token — its `jti`,
 * `exp`, `sub`, `client_id` and grant — under the AccessToken model, keyed by `jti`, before the
 * token is signed. oidc-provider's revoke helper then removes the record along with the grant's
 * other tokens, and the adapter turns it into a `tessera.token.revoked` event carrying the `jti`.
 * The record can never pass as an opaque token: opaque.verify refuses a stored payload whose
 * `format` is not `opaque` (lib/models/formats/opaque.js).
 *
 * The record is also what introspection reads: a grant-bound JWT is in force while it exists
 * (jwt-access-token-revocation.ts).
 *
 * Client-credentials JWTs belong to no grant and are not recorded: a store write per token would
 * take from them the one thing they are for. Revoking one records its `jti` instead (the
 * RevokedJwtStore); revoking every token of its client, or deleting the client, is announced by
 * `tessera.client.tokens_revoked` or `tessera.client.deleted`. A store failure fails the token
 * request (503): a JWT whose revocation could not be announced is not issued.
 */
export function createJwtAccessTokenRecorder(models: OidcModelStore, clock: () => number) {
  return async (_ctx: KoaContextWithOIDC, token: IssuedJwt, parts: JwtParts): Promise<void> => {
    const { jti, exp, sub } = parts.payload;
    const { grantId } = token;
    if (token.kind !== 'AccessToken' || !grantId || typeof jti !== 'string') return;
    if (typeof exp !== 'number') return;
    const expiresIn = Math.max(1, exp - Math.floor(clock() / 1000));
    await withStoreErrors(() =>
      models.upsert(
        'AccessToken',
        jti,
        {
          kind: 'AccessToken',
          format: JWT_RECORD_FORMAT,
          jti,
          exp,
          sub,
          clientId: token.clientId,
          accountId: token.accountId,
          grantId,
        },
        expiresIn,
      ),
    );
  };
}
