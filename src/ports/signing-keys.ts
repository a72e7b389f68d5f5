import type { WriteOptions } from './write-options.ts';

export type SigningAlg = 'RS256' | 'ES256';

/**
 * Lifecycle of a signing key (docs/signing-keys.md#lifecycle): `next` is published but never signs,
 * `current` signs, `retired` stays published until every token it signed has expired.
 */
export type SigningKeyState = 'next' | 'current' | 'retired';

/** AES-256-GCM ciphertext of a private JWK, with the id of the key-encryption key used. */
export interface EncryptedPrivateKey {
  readonly kekId: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly state: SigningKeyState;
  /** Keys created together (one RS256 + one ES256) share a generation id. */
  readonly generation: string;
  /** Public JWK (kty, crv/x/y or n/e, kid, alg, use). */
  readonly publicJwk: Readonly<Record<string, unknown>>;
  readonly privateKey: EncryptedPrivateKey;
  readonly createdAt: number;
  readonly activatedAt: number | undefined;
  readonly retiredAt: number | undefined;
}

export interface SigningKeyStore {
  list(): Promise<SigningKeyRecord[]>;
  /** Inserts all or none. Returns false when any kid exists. */
  insert(records: readonly SigningKeyRecord[], options?: WriteOptions): Promise<boolean>;
  /**
   * Replaces each record whose stored state equals `expectedState`. All or none: returns false
   * (and changes nothing) when any record's state moved meanwhile.
   */
  transition(
    changes: readonly {
      readonly record: SigningKeyRecord;
      readonly expectedState: SigningKeyState;
    }[],
    options?: WriteOptions,
  ): Promise<boolean>;
  delete(kids: readonly string[], options?: WriteOptions): Promise<void>;
}
