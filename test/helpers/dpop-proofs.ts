import { createHash, randomUUID } from 'node:crypto';

import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';

import { basicAuth, postForm } from './oauth-fixtures.ts';

/** A client's DPoP key pair (RFC 9449 section 2), made by jose in the test. */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key: what `cnf.jkt` must say. */
  readonly thumbprint: string;
  readonly alg: string;
}

export async function createDpopKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk), alg };
}

export interface ProofOptions {
  readonly htm?: string;
  readonly htu: string;
  /** Adds `ath` = base64url(SHA-256(token)) (RFC 9449 section 4.2), for resource requests. */
  readonly accessToken?: string;
  readonly nonce?: string;
  /** Epoch seconds; default now. */
  readonly iat?: number;
  readonly jti?: string;
  /** Replaces the protected header's fields (typ, alg, jwk). */
  readonly header?: Record<string, unknown>;
  /** Replaces or, with undefined, removes payload claims. */
  readonly claims?: Record<string, unknown>;
}

export const athOf = (accessToken: string): string =>
  createHash('sha256').update(accessToken, 'ascii').digest('base64url');

/** A `dpop+jwt` proof signed with `key` (RFC 9449 section 4.2). */
export async function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm ?? 'POST',
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.accessToken === undefined ? {} : { ath: athOf(options.accessToken) }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...options.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({
      typ: 'dpop+jwt',
      alg: key.alg,
      jwk: key.publicJwk,
      ...options.header,
    })
    .sign(key.privateKey);
}

/** Who authenticates a raw token request: Basic credentials, or a public client's client_id. */
export interface TokenRequester {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
}

/**
 * POSTs a token request to `tokenEndpoint` as `client`, with a `DPoP` header when `proof` is
 * given: for the proofs and refusals no relying-party library would produce.
 */
export function postTokenRequest(
  tokenEndpoint: string,
  client: TokenRequester,
  params: Record<string, string>,
  proof?: string,
) {
  const body = new URLSearchParams(params);
  if (client.clientSecret === undefined) body.set('client_id', client.clientId);
  return postForm(tokenEndpoint, body.toString(), {
    ...(client.clientSecret === undefined
      ? {}
      : { authorization: basicAuth(client.clientId, client.clientSecret) }),
    ...(proof === undefined ? {} : { dpop: proof }),
  });
}
