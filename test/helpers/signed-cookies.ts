import { createHmac } from 'node:crypto';

/**
 * A `Cookie` header carrying `name=value` signed the way Koa's cookies (keygrip: HMAC-SHA1,
 * base64url) sign it under `cookieKey`, as oidc-provider's session and interaction cookies are:
 * what an attacker holding the cookie keys and a candidate value would send.
 */
export function signedCookie(name: string, value: string, cookieKey: string): string {
  const sig = createHmac('sha1', cookieKey).update(`${name}=${value}`).digest('base64url');
  return `${name}=${value}; ${name}.sig=${sig}`;
}
