import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  createDpopProofVerifier,
  DpopProofError,
  normalizeHtu,
  readDpopAuthorization,
  type DpopRequest,
} from '../../src/events/consumer.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';
import {
  createDpopKey,
  dpopProof,
  type DpopKey,
  type ProofOptions,
} from '../helpers/dpop-proofs.ts';

const START = Date.UTC(2026, 0, 1);
const NOW = START / 1000;
const URL_ = 'https://api.example.com/orders/42';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJjbmYiOnt9fQ.c2ln';

let key: DpopKey;
let other: DpopKey;
beforeAll(async () => {
  [key, other] = await Promise.all([createDpopKey(), createDpopKey()]);
});

/** A verifier on a frozen clock, and a request that passes unless the test changes it. */
function setUp(options: { maxRememberedProofs?: number } = {}) {
  const clock = createTestClock(START);
  const verifier = createDpopProofVerifier({ clock, ...options });
  const proof = (overrides: Partial<ProofOptions> = {}, by: DpopKey = key) =>
    dpopProof(by, { htm: 'GET', htu: URL_, iat: NOW, accessToken: TOKEN, ...overrides });
  const request = async (overrides: Partial<DpopRequest> = {}): Promise<DpopRequest> => ({
    proof: await proof(),
    accessToken: TOKEN,
    accessTokenClaims: { cnf: { jkt: key.thumbprint } },
    method: 'GET',
    url: URL_,
    ...overrides,
  });
  return { clock, verifier, proof, request };
}

/** The DpopProofError a verification is refused with; fails if it passes. */
async function refusal(promise: Promise<unknown>): Promise<{ error: string; description: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DpopProofError);
    const { error: code, description } = error as DpopProofError;
    return { error: code, description };
  }
  throw new Error('expected the proof to be refused');
}

describe('the DPoP proof verifier for resource servers', () => {
  it('accepts a proof that passes every check, answering the key thumbprint', async () => {
    const { verifier, request } = setUp();
    const req = await request();
    await expect(verifier.verify(req)).resolves.toEqual({
      jkt: key.thumbprint,
      jti: expect.any(String),
      iat: NOW,
    });
  });

  const refusedProofs: [
    string,
    (s: ReturnType<typeof setUp>) => Promise<Partial<DpopRequest>>,
    RegExp,
  ][] = [
    ['a missing proof', async () => ({ proof: undefined }), /missing/],
    ['a proof that is not a JWT', async () => ({ proof: 'not.a.jwt' }), /not a valid/],
    [
      'a proof typed JWT',
      async (s) => ({ proof: await s.proof({ header: { typ: 'JWT' } }) }),
      /not a valid/,
    ],
    [
      'a proof signed by another key than its jwk',
      async () => ({
        proof: await dpopProof(
          { ...key, privateKey: other.privateKey },
          { htm: 'GET', htu: URL_, iat: NOW, accessToken: TOKEN },
        ),
      }),
      /not a valid/,
    ],
    [
      'a proof signed with a symmetric key (HS256)',
      async () => {
        const secret = new Uint8Array(32).fill(1);
        const proof = await new SignJWT({ jti: 'j', htm: 'GET', htu: URL_, iat: NOW })
          .setProtectedHeader({
            typ: 'dpop+jwt',
            alg: 'HS256',
            jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') },
          } as Parameters<SignJWT['setProtectedHeader']>[0])
          .sign(secret);
        return { proof };
      },
      /not a valid/,
    ],
    [
      'a proof signed with an algorithm not accepted (RS256)',
      async () => {
        const { privateKey, publicKey } = await generateKeyPair('RS256');
        const rsa = {
          privateKey,
          publicJwk: await exportJWK(publicKey),
          thumbprint: '',
          alg: 'RS256',
        };
        return {
          proof: await dpopProof(rsa, { htm: 'GET', htu: URL_, iat: NOW, accessToken: TOKEN }),
        };
      },
      /not a valid/,
    ],
    [
      'a proof carrying the private key',
      async (s) => ({ proof: await s.proof({ header: { jwk: await exportJWK(key.privateKey) } }) }),
      /not a valid/,
    ],
    [
      'a proof without jti',
      async (s) => ({ proof: await s.proof({ claims: { jti: undefined } }) }),
      /jti/,
    ],
    [
      'a proof with an oversized jti',
      async (s) => ({ proof: await s.proof({ jti: 'j'.repeat(257) }) }),
      /jti/,
    ],
    ['a proof for another method', async (s) => ({ proof: await s.proof({ htm: 'POST' }) }), /htm/],
    [
      'a proof without htu',
      async (s) => ({ proof: await s.proof({ claims: { htu: undefined } }) }),
      /htu/,
    ],
    [
      'a proof for another path',
      async (s) => ({ proof: await s.proof({ htu: `${URL_}/items` }) }),
      /htu/,
    ],
    [
      'a proof for another host',
      async (s) => ({ proof: await s.proof({ htu: 'https://evil.example.com/orders/42' }) }),
      /htu/,
    ],
    [
      'a proof without iat',
      async (s) => ({ proof: await s.proof({ claims: { iat: undefined } }) }),
      /iat/,
    ],
    ['a proof issued 61 s ago', async (s) => ({ proof: await s.proof({ iat: NOW - 61 }) }), /iat/],
    [
      'a proof issued 61 s in the future',
      async (s) => ({ proof: await s.proof({ iat: NOW + 61 }) }),
      /iat/,
    ],
    [
      'a proof without ath',
      async (s) => ({ proof: await s.proof({ claims: { ath: undefined } }) }),
      /ath/,
    ],
    [
      'a proof for another access token',
      async (s) => ({ proof: await s.proof({ accessToken: `${TOKEN}x` }) }),
      /ath/,
    ],
  ];

  it.each(refusedProofs)(
    'refuses %s with invalid_dpop_proof',
    async (_name, change, description) => {
      const s = setUp();
      const answer = await refusal(s.verifier.verify(await s.request(await change(s))));
      expect(answer.error).toBe('invalid_dpop_proof');
      expect(answer.description).toMatch(description);
    },
  );

  it('refuses a token bound to another key with invalid_token', async () => {
    const { verifier, request } = setUp();
    const answer = await refusal(
      verifier.verify(await request({ accessTokenClaims: { cnf: { jkt: other.thumbprint } } })),
    );
    expect(answer).toEqual({
      error: 'invalid_token',
      description: expect.stringMatching(/cnf\.jkt/),
    });
  });

  it('refuses a token without cnf.jkt (a bearer token) with invalid_token', async () => {
    const { verifier, request } = setUp();
    const answer = await refusal(verifier.verify(await request({ accessTokenClaims: {} })));
    expect(answer.error).toBe('invalid_token');
  });

  it('refuses a proof used before (the same jti), until its iat has left the window', async () => {
    const { verifier, request, clock } = setUp();
    const req = await request();
    await verifier.verify(req);
    expect(await refusal(verifier.verify(req))).toEqual({
      error: 'invalid_dpop_proof',
      description: expect.stringMatching(/used before/),
    });
    // Once the window has passed, the iat check refuses it (and the memory can let go of it).
    clock.advance(61_000);
    expect((await refusal(verifier.verify(req))).description).toMatch(/iat/);
  });

  it('remembers proofs per key: another key may use the same jti', async () => {
    const { verifier, request, proof } = setUp();
    await verifier.verify(await request({ proof: await proof({ jti: 'shared' }) }));
    const byOther = await request({
      proof: await proof({ jti: 'shared' }, other),
      accessTokenClaims: { cnf: { jkt: other.thumbprint } },
    });
    await expect(verifier.verify(byOther)).resolves.toMatchObject({ jkt: other.thumbprint });
  });

  it('refuses new proofs while its memory is full of unexpired ones, never forgetting one early', async () => {
    const { verifier, request, clock, proof } = setUp({ maxRememberedProofs: 2 });
    const first = await request();
    await verifier.verify(first);
    await verifier.verify(await request());
    expect((await refusal(verifier.verify(await request()))).description).toMatch(/too many/);
    expect((await refusal(verifier.verify(first))).description).toMatch(/used before/);
    // The remembered proofs expire with their window; then there is room again.
    clock.advance(61_000);
    await expect(
      verifier.verify(await request({ proof: await proof({ iat: NOW + 61 }) })),
    ).resolves.toBeDefined();
    expect(verifier.size).toBe(1);
  });

  it('compares htu without query and fragment, after RFC 3986 normalisation', async () => {
    const { verifier, request, proof } = setUp();
    const variants = [
      'HTTPS://API.EXAMPLE.COM/orders/42',
      'https://api.example.com:443/orders/42',
      'https://api.example.com/orders/./42?page=2#top',
      'https://api.example.com/%6Frders/42',
    ];
    for (const htu of variants) {
      await expect(
        verifier.verify(await request({ proof: await proof({ htu }) })),
        htu,
      ).resolves.toBeDefined();
    }
    expect(normalizeHtu('https://api.example.com/a%2fb')).toBe('https://api.example.com/a%2Fb');
    expect(normalizeHtu('https://api.example.com')).toBe('https://api.example.com/');
    expect(normalizeHtu('ftp://api.example.com/x')).toBeUndefined();
  });

  it('reads the token of an Authorization: DPoP header, and nothing else', () => {
    expect(readDpopAuthorization(`DPoP ${TOKEN}`)).toBe(TOKEN);
    expect(readDpopAuthorization(`dpop ${TOKEN}`)).toBe(TOKEN);
    expect(readDpopAuthorization(`Bearer ${TOKEN}`)).toBeUndefined();
    expect(readDpopAuthorization('DPoP two tokens')).toBeUndefined();
    expect(readDpopAuthorization(undefined)).toBeUndefined();
  });

  it('builds the RFC 9449 section 7.1 challenge for a refusal', () => {
    const error = new DpopProofError('invalid_dpop_proof', 'the "DPoP" proof is missing');
    expect(error.status).toBe(401);
    expect(error.wwwAuthenticate()).toBe(
      'DPoP error="invalid_dpop_proof", error_description="the \\"DPoP\\" proof is missing", ' +
        'algs="ES256 Ed25519 EdDSA"',
    );
  });
});
