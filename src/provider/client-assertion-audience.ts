import { errors, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A `private_key_jwt` client assertion must name this authorization server's issuer identifier,
 * exactly, as its one audience: a JSON string, not an array, and not the token endpoint's or
 * any other endpoint's URL (draft-ietf-oauth-rfc7523bis, updating RFC 7523 section 3). The
 * "audience injection" attack it closes: a malicious authorization server the client also
 * talks to lists this server's token endpoint as one of its own endpoints in its metadata, the
 * client signs an assertion addressed to that URL and sends it there, and the attacker replays
 * it here as the client. A client checks the issuer of the metadata it reads, so an assertion
 * addressed to the issuer cannot be obtained that way.
 *
 * oidc-provider 9 accepts the issuer, the token endpoint URL or the URL the assertion is sent
 * to, alone or in an array (`clientJwtAuthExpectedAudience` in
 * node_modules/oidc-provider/lib/helpers/oidc_context.js, checked in
 * lib/shared/jwt_client_auth.js); its `assertJwtClientAuthClaimsAndHeader` option, called there
 * after the signature is verified and before the assertion's `jti` is recorded against replay,
 * narrows that to the issuer (its default does so only under FAPI 2.0,
 * lib/helpers/defaults.js). The check runs wherever a client authenticates (token, PAR,
 * introspection, revocation) and on whichever path serves the request, the fast path included:
 * it is the provider's configuration, not a route's. The issuer compared is oidc-provider's
 * own, TESSERA_ISSUER (simple string comparison, RFC 3986 section 6.2.1), never derived from
 * the request (src/http/issuer-origin.ts).
 */
export function assertClientAssertionAudience(
  ctx: KoaContextWithOIDC,
  claims: Readonly<Record<string, unknown>>,
): void {
  if (claims['aud'] !== ctx.oidc.issuer) {
    // RFC 6749 section 5.2: 401 invalid_client (lib/helpers/errors.js InvalidClientAuth).
    throw new errors.InvalidClientAuth(
      'the client assertion audience (aud) must be the issuer identifier, as a single string',
    );
  }
}
