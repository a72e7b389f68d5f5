import type { Argon2Params } from './argon2-pool.ts';

/** The argon2 version of every stored argon2 hash: 0x13 (RFC 9106), the only one node:crypto has. */
export const ARGON2_VERSION = 19;

/** PHC string format (github.com/P-H-C/phc-string-format): standard base64 without padding. */
export const phcBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes).toString('base64').replace(/=+$/, '');

/**
 * An argon2 hash in its reference form, `$<variant>$v=19$m=..,t=..,p=..$<salt>$<tag>`: the form
 * of Tessera's own argon2id hashes (password-hasher.ts) and of imported argon2 ones
 * (imported-password-hashes.ts).
 */
export function formatArgon2Phc(
  variant: 'argon2i' | 'argon2d' | 'argon2id',
  params: Argon2Params,
  salt: Uint8Array,
  tag: Uint8Array,
): string {
  const { memoryKib: m, iterations: t, parallelism: p } = params;
  return `$${variant}$v=${ARGON2_VERSION}$m=${m},t=${t},p=${p}$${phcBase64(salt)}$${phcBase64(tag)}`;
}
