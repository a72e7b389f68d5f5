import type { JWK } from 'jose';

import type { SigningKeyRecord, SigningKeyState } from '../src/ports/signing-keys.ts';
import type { KeyEncrypter } from './key-encryption.ts';

/** The private JWK set oidc-provider is configured with, plus what it was built from. */
export interface SigningKeyRing {
  readonly jwks: { readonly keys: readonly JWK[] };
  /** Changes whenever the set of keys or any key's state changes. */
  readonly fingerprint: string;
  readonly records: readonly SigningKeyRecord[];
}

const STATE_ORDER: Record<SigningKeyState, number> = { current: 0, next: 1, retired: 2 };

const byStateThenAge = (a: SigningKeyRecord, b: SigningKeyRecord) =>
  STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
  (b.activatedAt ?? b.createdAt) - (a.activatedAt ?? a.createdAt) ||
  a.kid.localeCompare(b.kid);

/**
 * Identifies a key set and every key's state without decrypting anything: what replicas compare
 * to notice a change cheaply.
 */
export function fingerprintOf(records: readonly SigningKeyRecord[]): string {
  return [...records]
    .sort(byStateThenAge)
    .map((record) => `${record.kid}:${record.state}`)
    .join(',');
}

/**
 * Decrypts the stored keys into the JWKS oidc-provider signs with. Only `current` keys may sign:
 * `next` and `retired` keys carry `key_ops: ["verify"]`, which oidc-provider's key selection
 * honours (lib/helpers/keystore.js), and they are ordered after the current ones.
 */
export function buildSigningKeyRing(
  records: readonly SigningKeyRecord[],
  encrypter: KeyEncrypter,
): SigningKeyRing {
  const ordered = [...records].sort(byStateThenAge);
  const keys = ordered.map((record) => {
    const jwk = JSON.parse(encrypter.decrypt(record.privateKey, record.kid)) as JWK;
    return record.state === 'current' ? jwk : { ...jwk, key_ops: ['verify'] };
  });
  return {
    jwks: { keys },
    fingerprint: fingerprintOf(ordered),
    records: ordered,
  };
}
