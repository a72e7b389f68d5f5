import { generateKeyPair, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createDpopKey,
  dpopProof,
  postTokenRequest,
  type DpopKey,
} from '../helpers/dpop-proofs.ts';
import {
  basicAuth,
  postForm,
  registerClient,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface BadProof {
  readonly name: string;
  /** RFC 9449 section 5 (`invalid_dpop_proof`), section 8 (`use_dpop_nonce`). */
  readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce';
  readonly proof: (context: { htu: string; key: DpopKey; other: DpopKey }) => Promise<string>;
}

/** Every check of RFC 9449 section 4.3 a proof can fail at the token endpoint. */
const BAD_PROOFS: readonly BadProof[] = [
  {
    name: 'signed by another key than the one in its jwk header',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key, other }) => dpopProof({ ...key, privateKey: other.privateKey }, { htu }),
  },
  {
    name: 'typed JWT instead of dpop+jwt',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key }) => dpopProof(key, { htu, header: { typ: 'JWT' } }),
  },
  {
    name: 'unsigned (alg none)',
    error: 'invalid_dpop_proof',
    proof: async ({ htu, key }) => {
      const header = { typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk };
      const claims = { jti: 'j-none', htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) };
      return `${b64(header)}.${b64(claims)}.`;
    },
  },
  {
    name: 'signed with a symmetric key (HS256)',
    error: 'invalid_dpop_proof',
    proof: async ({ htu }) => {
      const secret = new Uint8Array(32).fill(7);
      return new SignJWT({ jti: 'j-hs', htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) })
        .setProtectedHeader({
          typ: 'dpop+jwt',
          alg: 'HS256',
          jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') },
        } as Parameters<SignJWT['setProtectedHeader']>[0])
        .sign(secret);
    },
  },
  {
    name: 'signed with an algorithm Tessera does not accept (RS256)',
    error: 'invalid_dpop_proof',
    proof: async ({ htu }) => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      return dpopProof(
        { privateKey, publicJwk: await exportJWK(publicKey), thumbprint: '', alg: 'RS256' },
        { htu },
      );
    },
  },
  {
    name: 'carrying the private key in its jwk header',
    error: 'invalid_dpop_proof',
    proof: async ({ htu, key }) =>
      dpopProof(key, { htu, header: { jwk: await exportJWK(key.privateKey) } }),
  },
  {
    name: 'with a jwk of an unknown key type',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key }) => dpopProof(key, { htu, header: { jwk: { kty: 'XYZ', x: 'abc' } } }),
  },
  {
    name: 'without jti',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key }) => dpopProof(key, { htu, claims: { jti: undefined } }),
  },
  {
    name: 'without iat',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key }) => dpopProof(key, { htu, claims: { iat: undefined } }),
  },
  {
    name: 'with iat as a string',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key }) => dpopProof(key, { htu, claims: { iat: String(Date.now()) } }),
  },
  {
    name: 'for another method (htm GET)',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key }) => dpopProof(key, { htu, htm: 'GET' }),
  },
  {
    name: 'for another URL (htu of the introspection endpoint)',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key }) => dpopProof(key, { htu: `${htu}/introspection` }),
  },
  {
    name: 'with an htu that is not a URL',
    error: 'invalid_dpop_proof',
    proof: ({ key }) => dpopProof(key, { htu: 'token endpoint' }),
  },
  {
    name: 'with a nonce that is not a string',
    error: 'invalid_dpop_proof',
    proof: ({ htu, key }) => dpopProof(key, { htu, claims: { nonce: 42 } }),
  },
  {
    name: 'with a nonce Tessera never issued',
    error: 'use_dpop_nonce',
    proof: ({ htu, key }) => dpopProof(key, { htu, nonce: 'A'.repeat(43) }),
  },
];

describe('malformed DPoP proofs at the token endpoint', () => {
  let t: TestTessera;
  let client: RegisteredClient;
  let key: DpopKey;
  let other: DpopKey;

  beforeAll(async () => {
    t = await startTestTessera();
    client = await registerClient(t);
    [key, other] = await Promise.all([createDpopKey(), createDpopKey()]);
  });
  afterAll(() => t.stop());

  const grant = (proof: string) =>
    postTokenRequest(`${t.issuer}/token`, client, { grant_type: 'client_credentials' }, proof);

  it.each(BAD_PROOFS)('refuses a proof $name with 400 $error', async ({ proof, error }) => {
    const response = await grant(await proof({ htu: `${t.issuer}/token`, key, other }));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe(error);
    expect(response.body.error_description).toEqual(expect.any(String));
  });

  it('refuses two DPoP headers (RFC 9449 section 4.3) with 400 invalid_dpop_proof', async () => {
    const [first, second] = await Promise.all(
      [1, 2].map(() => dpopProof(key, { htu: `${t.issuer}/token` })),
    );
    const headers = new Headers({
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuth(client.clientId, client.clientSecret),
    });
    headers.append('dpop', first!);
    headers.append('dpop', second!);
    const response = await fetch(`${t.issuer}/token`, {
      method: 'POST',
      headers,
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it('accepts a proof whose htu differs from the endpoint only by query and fragment', async () => {
    const response = await grant(await dpopProof(key, { htu: `${t.issuer}/token?x=1#frag` }));
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('DPoP');
  });

  it('still issues tokens, and logged no server error, after all of the above', async () => {
    const result = await postForm(`${t.issuer}/token`, 'grant_type=client_credentials', {
      authorization: basicAuth(client.clientId, client.clientSecret),
    });
    expect(result.status).toBe(200);
    const errors = t.logs.filter((line) => Number(line.level) >= 50);
    expect(errors.map((line) => `${String(line.msg)}: ${JSON.stringify(line.err)}`)).toEqual([]);
  });
});
