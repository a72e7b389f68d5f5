import type { SigningKeyStore } from '../src/ports/signing-keys.ts';
import { generateKeyGeneration } from './generate-key-generation.ts';
import type { KeyEncrypter } from './key-encryption.ts';
import { buildSigningKeyRing, type SigningKeyRing } from './signing-key-ring.ts';

export interface SigningKeyServiceDeps {
  readonly keys: SigningKeyStore;
  readonly encrypter: KeyEncrypter;
  readonly clock: () => number;
}

/** Loads, and on first start creates, the signing keys. */
export interface SigningKeyService {
  /** Creates a `current` generation when the store holds none; returns the resulting ring. */
  ensureKeyRing(): Promise<SigningKeyRing>;
  loadKeyRing(): Promise<SigningKeyRing>;
}

export function createSigningKeyService(deps: SigningKeyServiceDeps): SigningKeyService {
  const loadKeyRing = async () => buildSigningKeyRing(await deps.keys.list(), deps.encrypter);

  return {
    loadKeyRing,
    async ensureKeyRing() {
      const ring = await loadKeyRing();
      if (ring.records.some((record) => record.state === 'current')) return ring;
      const generation = await generateKeyGeneration(deps.encrypter, 'current', deps.clock());
      await deps.keys.insert(generation);
      return loadKeyRing();
    },
  };
}
