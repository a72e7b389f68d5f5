import type { ClientMetadata } from '../ports/clients.ts';
import { AppError } from './app-error.ts';

/** RFC 7518 sections 3.3 and 3.5: "A key of size 2048 bits or larger MUST be used". */
const MIN_RSA_BITS = 2048;

/**
 * The keys a client registers inline (`jwks`, for private_key_jwt) must be asymmetric public
 * keys of sound strength, whatever the mode:
 *
 * - no symmetric (`kty: oct`) key and no HMAC (`alg: HS*`) key: an HMAC key is a shared secret,
 *   and Tessera never holds a client's secret in the clear (client secrets are stored hashed),
 *   nor should a public key set carry one;
 * - no RSA key under 2048 bits (RFC 7518 section 3.3 for RS256/PS256 signatures).
 *
 * Keys fetched from a `jwks_uri` are checked by oidc-provider when it uses them, not here.
 */
export function checkClientKeys(metadata: ClientMetadata): void {
  const jwks = metadata.jwks as { keys?: unknown } | undefined;
  if (!jwks || !Array.isArray(jwks.keys)) return;
  jwks.keys.forEach((key: unknown, index) => {
    if (typeof key !== 'object' || key === null) return;
    const { kty, alg, n } = key as Record<string, unknown>;
    const at = `jwks.keys[${index}]`;
    if (kty === 'oct') {
      refuse(`${at} is a symmetric (oct) key: register public keys only`);
    }
    if (typeof alg === 'string' && /^HS/i.test(alg)) {
      refuse(`${at} is for ${alg}, an HMAC algorithm: register asymmetric public keys only`);
    }
    if (kty === 'RSA' && typeof n === 'string') {
      const bits = modulusBits(n);
      if (bits < MIN_RSA_BITS) {
        refuse(`${at} is a ${bits}-bit RSA key: at least ${MIN_RSA_BITS} bits are required`);
      }
    }
  });
}

function refuse(message: string): never {
  throw new AppError('validation_failed', message, { field: 'jwks' });
}

/** The bit length of a base64url big-endian modulus (RFC 7518 section 6.3.1.1), leading zeros aside. */
function modulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start += 1;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}
