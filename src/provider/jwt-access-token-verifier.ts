import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWK } from 'jose';

import type { SigningKeyRing } from '../../keys/signing-key-ring.ts';
import { JWT_ACCESS_TOKEN_ALG } from './resource-indicators.ts';
import { taggedModelOf } from './token-kinds.ts';

/** A JWT access token this Tessera issued, its signature and claims checked. */
export interface VerifiedJwtAccessToken {
  /** `AccessToken` (a user's, bound to a grant) or `ClientCredentials`, from the `jti` tag. */
  readonly kind: 'AccessToken' | 'ClientCredentials';
  readonly jti: string;
  readonly clientId: string;
  /** Epoch seconds. */
  readonly iat: number;
  readonly exp: number;
  /** Every claim, as signed (RFC 9068 section 2.2). */
  readonly claims: Readonly<Record<string, unknown>>;
}

export type JwtAccessTokenVerifier = (value: string) => Promise<VerifiedJwtAccessToken | undefined>;

/**
 * Whether a presented token is a JWS at all, by the test with which oidc-provider refuses
 * structured tokens at its introspection and revocation endpoints
 * (lib/shared/reject_structured_tokens.js).
 */
export function isStructuredToken(value: string): boolean {
  try {
    return Boolean(decodeProtectedHeader(value));
  } catch {
    return false;
  }
}

/**
 * Recognises the JWT access tokens of this Tessera (RFC 9068): signed with ES256 by one of the
 * ring's keys — current, next or retired, as the JWKS publishes them, read from the ring in
 * memory, never fetched — with header `typ` `at+jwt`, `iss` the issuer, unexpired by `clock`, and
 * the claims Tessera issues (`jti` tagged with its kind, `client_id`, `iat`, `exp`). Anything
 * else (another issuer's token, an ID token, a forged or altered one, garbage) is undefined.
 */
export function createJwtAccessTokenVerifier(deps: {
  readonly issuer: string;
  readonly keyRing: SigningKeyRing;
  readonly clock: () => number;
}): JwtAccessTokenVerifier {
  // Public halves only (SigningKeyRecord.publicJwk): built once per ring, which is per provider.
  const keys = createLocalJWKSet({
    keys: deps.keyRing.records
      .filter((record) => record.alg === JWT_ACCESS_TOKEN_ALG)
      .map((record) => record.publicJwk as JWK),
  });
  return async (value) => {
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(value, keys, {
        issuer: deps.issuer,
        typ: 'at+jwt',
        algorithms: [JWT_ACCESS_TOKEN_ALG],
        currentDate: new Date(deps.clock()),
        requiredClaims: ['jti', 'client_id', 'iat', 'exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return undefined;
      throw error;
    }
    const { jti, client_id: clientId, iat, exp } = claims;
    if (typeof jti !== 'string' || typeof clientId !== 'string') return undefined;
    if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
    const kind = taggedModelOf(jti);
    if (kind !== 'AccessToken' && kind !== 'ClientCredentials') return undefined;
    return { kind, jti, clientId, iat, exp, claims };
  };
}
