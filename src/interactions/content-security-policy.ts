import { randomFillSync } from 'node:crypto';

const NONCE_BYTES = 16;

/**
 * Makes CSP nonces (base64 of 16 random bytes, CSP3 section 2.3.1 nonce-source). Every provider
 * response carries one (create-app.ts), so the bytes are drawn from the CSPRNG 4 KiB at a time
 * rather than by one call per response; each byte is used once.
 */
export function createNonceSource(): () => string {
  const pool = Buffer.alloc(256 * NONCE_BYTES);
  let offset = pool.length;
  return () => {
    if (offset + NONCE_BYTES > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const nonce = pool.toString('base64', offset, offset + NONCE_BYTES);
    offset += NONCE_BYTES;
    return nonce;
  };
}

/**
 * The Content-Security-Policy of every HTML page (a strict, nonce-based policy: no script runs
 * unless it carries the response's nonce or a hash oidc-provider adds for its form_post page).
 * Styles come from Tessera's own stylesheet only; nothing may frame the pages.
 *
 * `formAction`: where the page's forms may post besides Tessera itself ('none' for a page
 * without forms). Chrome also applies form-action to the
 * redirects that follow a submission, so a sign-in form lists the application's redirect
 * origin too. Undefined leaves the directive out: oidc-provider's own form_post page (which
 * gets this policy) posts to the client's redirect URI, which is only known inside it.
 */
export function contentSecurityPolicy(options: {
  nonce: string;
  formAction?: readonly string[] | 'none' | undefined;
}): string {
  const directives = [
    "default-src 'none'",
    `script-src 'nonce-${options.nonce}'`,
    "style-src 'self'",
    "img-src 'self'",
    // The passkey scripts fetch their WebAuthn options from Tessera itself (assets/passkeys.js).
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ];
  if (options.formAction !== undefined) {
    directives.push(
      options.formAction === 'none'
        ? "form-action 'none'"
        : ["form-action 'self'", ...new Set(options.formAction)].join(' '),
    );
  }
  return directives.join('; ');
}

/**
 * The CSP source expression for where a URI leads: its origin for http(s), its scheme for a
 * native app's private-use scheme (RFC 8252 section 7.1). Undefined for an unparseable URI.
 */
export function sourceOf(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  const url = URL.parse(uri);
  if (!url) return undefined;
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? url.protocol : undefined;
}
