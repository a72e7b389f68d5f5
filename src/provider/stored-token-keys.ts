import { hash } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * The store key of a bearer value: hex SHA-256 (why unkeyed, and why hex: see
 * model-record-protection.ts).
 */
export const storageKeyOf = (value: string): string => hash('sha256', value, 'hex');

/** True for a key storageKeyOf made; false for a value an older Tessera stored as it was. */
export const isStorageKey = (id: string): boolean => HEX_SHA256.test(id);

/**
 * How a token appears in `tessera.token.revoked` (`token_hash`): base64url(SHA-256(value)). A
 * removal only sees the stored record, whose `jti` is the hex form of the same digest; a value
 * still stored as it was (before its record was re-keyed) is hashed here.
 */
export function tokenHashOf(storedJti: string): string {
  return isStorageKey(storedJti)
    ? Buffer.from(storedJti, 'hex').toString('base64url')
    : hash('sha256', storedJti, 'base64url');
}
