import { randomUUID } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import type { SigningAlg, SigningKeyRecord, SigningKeyState } from '../src/ports/signing-keys.ts';
import type { KeyEncrypter } from './key-encryption.ts';

/** Algorithms of one key generation: ES256 signs access tokens, RS256 id tokens (OIDC requires it). */
export const GENERATION_ALGS: readonly SigningAlg[] = ['RS256', 'ES256'];

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const;

async function generateJwk(alg: SigningAlg): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  return exportJWK(privateKey);
}

export function publicPart(jwk: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy;
}

/**
 * Creates one key generation (an RS256 and an ES256 key) in `state`, private parts sealed by
 * `encrypter`. The kid is the RFC 7638 thumbprint: unique, stable, and free of '.' and '$'.
 */
export async function generateKeyGeneration(
  encrypter: KeyEncrypter,
  state: SigningKeyState,
  now: number,
): Promise<SigningKeyRecord[]> {
  const generation = randomUUID();
  return Promise.all(
    GENERATION_ALGS.map(async (alg) => {
      const jwk = await generateJwk(alg);
      const kid = await calculateJwkThumbprint(jwk, 'sha256');
      const privateJwk = { ...jwk, kid, alg, use: 'sig' };
      return {
        kid,
        alg,
        state,
        generation,
        publicJwk: publicPart(privateJwk),
        privateKey: encrypter.encrypt(JSON.stringify(privateJwk), kid),
        createdAt: now,
        activatedAt: state === 'current' ? now : undefined,
        retiredAt: undefined,
      };
    }),
  );
}
