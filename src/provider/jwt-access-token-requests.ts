import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import {
  isEntitledToIntrospect,
  singleAudience,
  type EntitlementLookups,
} from './introspection-entitlement.ts';
import type { JwtAccessTokenRevocation } from './jwt-access-token-revocation.ts';
import {
  isStructuredToken,
  type JwtAccessTokenVerifier,
  type VerifiedJwtAccessToken,
} from './jwt-access-token-verifier.ts';
import { mayRevoke } from './revocation-policy.ts';

export interface JwtAccessTokenRequestDeps {
  readonly verify: JwtAccessTokenVerifier;
  readonly revocation: JwtAccessTokenRevocation;
  /** Served from memory (introspection-entitlement.ts, createEntitlementLookups). */
  readonly entitlement: EntitlementLookups;
}

type Caller = NonNullable<KoaContextWithOIDC['oidc']['client']>;

/** RFC 7662 section 2.2: an inactive token, an unknown one and a refused caller read alike. */
const inactive = () => ({ active: false });

/**
 * The token of a request oidc-provider refused at these endpoints only for being a JWS, if this
 * is one: it throws UnsupportedTokenType (lib/shared/reject_structured_tokens.js) after the
 * client authentication, duplicate-parameter and presence checks (lib/actions/introspection.js,
 * lib/actions/revocation.js), and its route's error handler renders that as a 400
 * (lib/shared/error_handler.js). Nothing else there answers `unsupported_token_type`.
 */
function refusedStructuredToken(ctx: KoaContextWithOIDC): string | undefined {
  const route = ctx.oidc?.route;
  if (route !== 'introspection' && route !== 'revocation') return undefined;
  if (
    ctx.status !== 400 ||
    (ctx.body as { error?: unknown } | null)?.error !== 'unsupported_token_type'
  ) {
    return undefined;
  }
  const token = ctx.oidc.params?.['token'];
  return ctx.oidc.client && typeof token === 'string' && isStructuredToken(token)
    ? token
    : undefined;
}

/** The introspection answer (RFC 7662 section 2.2) from a JWT's claims (RFC 9068 section 2.2). */
function introspectionOf(token: VerifiedJwtAccessToken): Record<string, unknown> {
  const { claims } = token;
  const cnf = claims['cnf'];
  const bound = typeof cnf === 'object' && cnf !== null;
  return {
    active: true,
    client_id: token.clientId,
    ...(typeof claims['scope'] === 'string' ? { scope: claims['scope'] } : {}),
    exp: token.exp,
    iat: token.iat,
    ...(typeof claims['sub'] === 'string' ? { sub: claims['sub'] } : {}),
    aud: claims['aud'],
    iss: claims['iss'],
    jti: token.jti,
    // As oidc-provider types its own tokens (lib/models/access_token.js, tokenType).
    token_type: bound && 'jkt' in cnf ? 'DPoP' : 'Bearer',
    ...(bound ? { cnf } : {}),
  };
}

/**
 * Introspection and revocation of the JWT access tokens Tessera issued, which oidc-provider does
 * not handle (it refuses any structured token there), as a post-middleware (oidc-provider docs
 * "Pre- and post-middlewares") around its own endpoints: oidc-provider authenticates the client
 * and checks the request as always; where it then refuses the token only for being a JWT, this
 * answers instead, as RFC 7662 and RFC 7009 ask:
 *
 * - introspection: the token's claims with `active: true` when its signature, issuer, type and
 *   expiry check out (jwt-access-token-verifier.ts), the caller is entitled to learn about it
 *   (introspection-entitlement.ts, the rule for opaque tokens), and it is in force
 *   (jwt-access-token-revocation.ts: one store read); `{"active":false}` otherwise, byte for
 *   byte what an unknown token gets.
 * - revocation: a token of this Tessera, unexpired, is revoked when the caller may revoke it
 *   (revocation-policy.ts, the rule for opaque tokens); anything else gets the plain 200 an
 *   unknown token gets (RFC 7009 section 2.2), and nothing is recorded.
 */
export function installJwtAccessTokenRequests(
  provider: Provider,
  deps: JwtAccessTokenRequestDeps,
): void {
  const introspect = async (caller: Caller, value: string) => {
    const token = await deps.verify(value);
    if (!token) return inactive();
    const entitled = await isEntitledToIntrospect(
      { clientId: caller.clientId, isPublic: caller.clientAuthMethod === 'none' },
      { kind: token.kind, clientId: token.clientId, audience: singleAudience(token.claims['aud']) },
      deps.entitlement,
    );
    if (!entitled || !(await deps.revocation.isInForce(token))) return inactive();
    return introspectionOf(token);
  };

  const revoke = async (caller: Caller, value: string) => {
    const token = await deps.verify(value);
    if (token && mayRevoke(caller, token.clientId)) await deps.revocation.revoke(token);
  };

  provider.use(async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    const value = refusedStructuredToken(ctx);
    const caller = ctx.oidc?.client;
    if (value === undefined || !caller) return;
    try {
      if (ctx.oidc.route === 'introspection') {
        const body = await introspect(caller, value);
        ctx.status = 200;
        ctx.body = body;
      } else {
        await revoke(caller, value);
        ctx.status = 200;
        // As oidc-provider answers a revocation: an empty text body (lib/actions/revocation.js).
        ctx.remove('content-type');
        ctx.body = '';
      }
    } catch (error) {
      renderError(provider, ctx, error);
    }
  });
}

/**
 * What oidc-provider's error handler would render for `error` (lib/shared/error_handler.js,
 * lib/helpers/err_out.js): an exposed protocol error as `{error, error_description}` with its
 * status, anything else as a 500 reported through the `server_error` event.
 */
function renderError(provider: Provider, ctx: KoaContextWithOIDC, error: unknown): void {
  if (error instanceof errors.OIDCProviderError && error.expose) {
    ctx.status = error.statusCode;
    ctx.body = {
      error: error.message,
      ...(error.error_description === undefined
        ? {}
        : { error_description: error.error_description }),
    };
    return;
  }
  ctx.status = 500;
  ctx.body = { error: 'server_error', error_description: 'oops! something went wrong' };
  provider.emit('server_error', ctx, error);
}
