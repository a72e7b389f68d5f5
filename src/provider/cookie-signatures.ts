import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** What the `cookies` module asks of its `keys` (node_modules/cookies/index.js get and set). */
export interface CookieSigner {
  /** The signature of `data` under the first key. */
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  /** Which key made `digest` (its index), or -1. */
  index(data: string, digest: string): number;
}

/**
 * Signs and checks oidc-provider's cookie signatures (the `.sig` cookies) exactly as the
 * `keygrip` module the `cookies` module defaults to: HMAC-SHA-1 of `name=value`, base64url
 * without padding, the first key signing and every key verifying (node_modules/keygrip/
 * index.js), so cookies set before and after this change verify alike.
 *
 * Given as oidc-provider's `cookies.keys` (lib/provider.js hands it to Koa, which hands it to
 * every request's jar) it replaces two costs of the default: a `new Keygrip` per request, and
 * keygrip's comparison (tsscmp), which HMACs both sides again under a fresh random Buffer key,
 * the import of which throws and catches two errors inside node:crypto (prepareSecretKey,
 * lib/internal/crypto/keys.js). Here the keys are KeyObjects made once and the comparison is
 * `timingSafeEqual` over every key, whichever matches, so the timing tells nothing either.
 */
export function createCookieSigner(keys: readonly string[]): CookieSigner {
  if (keys.length === 0) throw new Error('cookie signing needs at least one key');
  // keygrip passes the key string to createHmac, which takes its UTF-8 bytes.
  const secrets: readonly KeyObject[] = keys.map((key) => createSecretKey(key, 'utf8'));
  const mac = (key: KeyObject, data: string) => createHmac('sha1', key).update(data).digest();

  const index = (data: string, digest: string): number => {
    if (typeof digest !== 'string') return -1;
    const presented = Buffer.from(digest, 'utf8');
    let found = -1;
    for (const [position, key] of secrets.entries()) {
      const expected = Buffer.from(mac(key, data).toString('base64url'), 'utf8');
      const same = presented.length === expected.length && timingSafeEqual(presented, expected);
      if (same && found === -1) found = position;
    }
    return found;
  };

  return {
    sign: (data) => mac(secrets[0] as KeyObject, data).toString('base64url'),
    verify: (data, digest) => index(data, digest) > -1,
    index,
  };
}
