import {
  createHmac,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

import type { Context } from 'koa';

import { hostCookieName } from '../provider/provider-cookies.ts';

/**
 * CSRF protection for the hosted pages' forms: a signed double-submit token (OWASP CSRF Cheat
 * Sheet, "Signed Double-Submit Cookie"). A random per-browser value lives in an HttpOnly cookie;
 * each form carries HMAC(key, value ‖ interaction uid), so a token is bound to this browser and
 * to this one interaction. oidc-provider's own logout form has its own token (lib/shared/xsrf.js).
 */
export interface CsrfGuard {
  /** The token for `uid`'s forms; sets the browser cookie when it is missing. */
  tokenFor(ctx: Context, uid: string): string;
  /** Whether a submitted token matches this browser and interaction (constant time). */
  verify(ctx: Context, uid: string, token: string | undefined): boolean;
}

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * `keys`: the cookie keys (TESSERA_COOKIE_KEYS). The first signs; all verify, so rotating the
 * keys does not void the forms people have open at that moment.
 */
export function createCsrfGuard(options: { keys: readonly string[]; https: boolean }): CsrfGuard {
  const cookieName = hostCookieName('tessera-csrf', options);
  // KeyObjects once (see model-record-protection.ts): a Buffer key is imported every call.
  const keys = options.keys.map((key) =>
    createSecretKey(createHmac('sha256', key).update('tessera-csrf-key').digest()),
  );
  if (keys.length === 0) throw new Error('the CSRF guard needs at least one key');

  const sign = (key: KeyObject, browserValue: string, uid: string) =>
    createHmac('sha256', key).update(`${browserValue}\0${uid}`).digest();

  const browserValueOf = (ctx: Context) => {
    const value = ctx.cookies.get(cookieName, { signed: false });
    return value && COOKIE_VALUE.test(value) ? value : undefined;
  };

  return {
    tokenFor(ctx, uid) {
      let value = browserValueOf(ctx);
      if (!value) {
        value = randomBytes(32).toString('base64url');
        // Written by hand: the cookies module refuses `Secure` on a request it believes is plain
        // http, which is what a TLS-terminating proxy without TESSERA_TRUST_PROXY looks like.
        ctx.append(
          'set-cookie',
          `${cookieName}=${value}; Path=/; HttpOnly; SameSite=Lax${options.https ? '; Secure' : ''}`,
        );
      }
      return sign(keys[0] as KeyObject, value, uid).toString('base64url');
    },

    verify(ctx, uid, token) {
      const value = browserValueOf(ctx);
      if (!value || typeof token !== 'string') return false;
      const presented = Buffer.from(token, 'base64url');
      // Every key is tried, whatever matches first, so the timing does not tell which one did.
      let valid = false;
      for (const key of keys) {
        const expected = sign(key, value, uid);
        if (presented.length === expected.length && timingSafeEqual(presented, expected)) {
          valid = true;
        }
      }
      return valid;
    },
  };
}
