import { randomBytes } from 'node:crypto';

/**
 * Opaque identifiers: base64url of 16 random bytes, with a readable prefix. base64url never
 * yields '.' or '$', which MongoDB field paths and oidc-provider's client ids must avoid.
 */
export function generateId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}
