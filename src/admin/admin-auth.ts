import type { Context, Next } from 'koa';

import type { ClientCredentialsTokenLookup } from '../provider/client-credentials-token.ts';
import { ADMIN_SCOPE } from '../provider/scopes.ts';
import { AppError } from '../services/app-error.ts';

const REALM = 'tessera-admin';
// RFC 6750 section 2.1: b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** RFC 6750 section 3 challenge; `error` only once a token was presented. */
function challenge(error?: 'invalid_token' | 'insufficient_scope', description?: string): string {
  const parts = [`realm="${REALM}"`];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${description}"`);
  if (error === 'insufficient_scope') parts.push(`scope="${ADMIN_SCOPE}"`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * Admin callers present a Tessera-issued client-credentials access token carrying
 * `tessera:admin` in the Authorization header (RFC 6750 section 2.1) — Tessera secures itself
 * with its own tokens. 401 without a valid token, 403 without the scope. Tokens in the query
 * string are refused outright (RFC 6750 section 2.3 discourages them: URLs end up in logs).
 */
export function requireAdminToken(lookup: ClientCredentialsTokenLookup) {
  return async function adminAuthMiddleware(ctx: Context, next: Next) {
    if ('access_token' in ctx.query) {
      throw new AppError(
        'validation_failed',
        'send the access token in the Authorization header, never in the URL',
        { field: 'access_token' },
      );
    }
    const header = ctx.get('authorization');
    if (!header) {
      ctx.set('www-authenticate', challenge());
      throw new AppError(
        'unauthorized',
        'a bearer access token with scope tessera:admin is required',
      );
    }
    const token = BEARER.exec(header)?.[1];
    const info = token === undefined ? undefined : await lookup(token);
    if (!info) {
      ctx.set(
        'www-authenticate',
        challenge('invalid_token', 'the access token is invalid or expired'),
      );
      throw new AppError('unauthorized', 'the access token is invalid, expired or revoked');
    }
    if (!info.scopes.has(ADMIN_SCOPE)) {
      ctx.set('www-authenticate', challenge('insufficient_scope'));
      throw new AppError('forbidden', `the access token lacks the ${ADMIN_SCOPE} scope`);
    }
    ctx.state.admin = { clientId: info.clientId };
    await next();
  };
}
