import { createHmac, randomInt, timingSafeEqual, type KeyObject } from 'node:crypto';

/** How many recovery codes a set holds. */
export const RECOVERY_CODE_COUNT = 10;

/** Crockford-like base32 without look-alikes (no 0/O, 1/I/L): easy to copy from paper. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const GROUP = 5;

/** A code: two groups of five, ~49 bits of randomness (random enough for a keyed hash). */
export function newRecoveryCode(): string {
  const chars = Array.from({ length: GROUP * 2 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return `${chars.slice(0, GROUP).join('')}-${chars.slice(GROUP).join('')}`;
}

/** What is typed, with case, spaces and dashes ignored. */
export const normaliseRecoveryCode = (typed: string): string =>
  typed.toUpperCase().replace(/[\s-]/g, '');

/**
 * The stored form: HMAC-SHA-256 under the server pepper, bound to the account. The codes are
 * random, not chosen by people, so a keyed hash is enough (no slow hash needed).
 */
export const recoveryCodeHash = (pepper: KeyObject, accountId: string, code: string): string =>
  createHmac('sha256', pepper)
    .update(`tessera-recovery-code:${accountId}\0${normaliseRecoveryCode(code)}`)
    .digest('base64url');

/** The index of `hash` in `hashes` (each compared in constant time), or -1. */
export function indexOfHash(hashes: readonly string[], hash: string): number {
  const wanted = Buffer.from(hash);
  let found = -1;
  hashes.forEach((candidate, index) => {
    const stored = Buffer.from(candidate);
    if (stored.length === wanted.length && timingSafeEqual(stored, wanted)) found = index;
  });
  return found;
}
