import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDpopProofVerifier, type DpopProofError } from '../../src/events/consumer.ts';
import { adminClient } from '../helpers/admin-fixtures.ts';
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
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://orders.example.com/api';
const LEDGER = 'https://ledger.example.com/api';

describe.each(STORAGE_BACKENDS)('DPoP-bound client-credentials tokens (%s store)', (backend) => {
  let t: TestTessera;
  let client: RegisteredClient;
  let key: DpopKey;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    await t.tessera.resourceServers.create({ audience: API, scopes: ['orders:read'] });
    await t.tessera.resourceServers.create({
      audience: LEDGER,
      scopes: ['ledger:read'],
      accessTokenFormat: 'opaque',
    });
    client = await registerClient(t, { scope: 'orders:read ledger:read' });
    key = await createDpopKey();
    jwks = createLocalJWKSet((await (await fetch(`${t.issuer}/jwks`)).json()) as JSONWebKeySet);
  });
  afterAll(() => t.stop());

  const tokenEndpoint = () => `${t.issuer}/token`;
  const proofFor = (options: Parameters<typeof dpopProof>[1] = { htu: tokenEndpoint() }) =>
    dpopProof(key, options);
  const grant = (resource: string, scope: string, proof?: string) =>
    postTokenRequest(
      tokenEndpoint(),
      client,
      { grant_type: 'client_credentials', resource, scope },
      proof,
    );

  it('binds a JWT access token to the proof key: cnf.jkt is its thumbprint, token_type DPoP', async () => {
    const response = await grant(API, 'orders:read', await proofFor());
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('DPoP');
    const { payload } = await jwtVerify(response.body.access_token as string, jwks, {
      issuer: t.issuer,
      audience: API,
      typ: 'at+jwt',
    });
    expect(payload.cnf).toEqual({ jkt: key.thumbprint });
  });

  it('issues bearer tokens as before to a request without a proof', async () => {
    const response = await grant(API, 'orders:read');
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('Bearer');
    const { payload } = await jwtVerify(response.body.access_token as string, jwks);
    expect(payload.cnf).toBeUndefined();
  });

  it('binds an opaque token, and introspection answers its cnf.jkt and token_type DPoP', async () => {
    const response = await grant(LEDGER, 'ledger:read', await proofFor());
    expect(response.body.token_type).toBe('DPoP');
    const introspection = await postForm(
      `${t.issuer}/token/introspection`,
      new URLSearchParams({ token: response.body.access_token as string }).toString(),
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
    expect(introspection.body).toMatchObject({
      active: true,
      aud: LEDGER,
      token_type: 'DPoP',
      cnf: { jkt: key.thumbprint },
    });
  });

  it('refuses a replayed proof (the same jti) with invalid_grant', async () => {
    const proof = await proofFor();
    expect((await grant(API, 'orders:read', proof)).status).toBe(200);
    const replay = await grant(API, 'orders:read', proof);
    // oidc-provider's answer to a replay (lib/helpers/validate_dpop.js checkDpopReplay).
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('offers a nonce in DPoP-Nonce, and accepts a proof carrying it', async () => {
    const first = await grant(API, 'orders:read', await proofFor());
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[\w-]{43}$/);
    const withNonce = await grant(
      API,
      'orders:read',
      await proofFor({ htu: tokenEndpoint(), nonce: nonce! }),
    );
    expect(withNonce.status).toBe(200);
    expect(withNonce.body.token_type).toBe('DPoP');
  });

  it('answers a proof with a stale iat with use_dpop_nonce and a nonce to retry with', async () => {
    const stale = Math.floor(Date.now() / 1000) - 3600;
    const response = await grant(
      API,
      'orders:read',
      await proofFor({ htu: tokenEndpoint(), iat: stale }),
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('use_dpop_nonce');
    const nonce = response.headers.get('dpop-nonce');
    expect(nonce).toEqual(expect.any(String));
    const retry = await grant(
      API,
      'orders:read',
      await proofFor({ htu: tokenEndpoint(), iat: stale, nonce: nonce! }),
    );
    expect(retry.status).toBe(200);
  });

  it('lets a resource server check the token and its proof with tessera/events', async () => {
    const response = await grant(API, 'orders:read', await proofFor());
    const accessToken = response.body.access_token as string;
    const { payload } = await jwtVerify(accessToken, jwks, { issuer: t.issuer, audience: API });
    const verifier = createDpopProofVerifier();
    const url = `${API}/orders?page=1`;
    const check = async (by: DpopKey) => ({
      proof: await dpopProof(by, { htm: 'GET', htu: url, accessToken }),
      accessToken,
      accessTokenClaims: payload,
      method: 'GET',
      url,
    });
    await expect(verifier.verify(await check(key))).resolves.toMatchObject({
      jkt: key.thumbprint,
    });
    // Without the private key, the token is worthless: a proof by any other key is refused.
    const thief = await createDpopKey();
    await expect(verifier.verify(await check(thief))).rejects.toEqual(
      expect.objectContaining({ error: 'invalid_token' } satisfies Partial<DpopProofError>),
    );
  });

  it('keeps a DPoP-bound tessera:admin token out of the admin API, which checks no proofs', async () => {
    const admin = await registerClient(t, { scope: 'tessera:admin', name: 'dpop admin' });
    const response = await postTokenRequest(
      tokenEndpoint(),
      admin,
      { grant_type: 'client_credentials', scope: 'tessera:admin' },
      await proofFor(),
    );
    expect(response.body.token_type).toBe('DPoP');
    const call = adminClient(t, response.body.access_token as string);
    expect((await call('GET', '/clients')).status).toBe(401);
  });

  it('advertises the proof algorithms it accepts in discovery', async () => {
    const metadata = (await (
      await fetch(`${t.issuer}/.well-known/openid-configuration`)
    ).json()) as {
      dpop_signing_alg_values_supported?: string[];
    };
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'Ed25519', 'EdDSA']);
  });
});

describe('DPoP with server nonces required', () => {
  let t: TestTessera;
  let client: RegisteredClient;
  let key: DpopKey;

  beforeAll(async () => {
    t = await startTestTessera({ TESSERA_DPOP_REQUIRE_NONCE: 'true' });
    client = await registerClient(t);
    key = await createDpopKey();
  });
  afterAll(() => t.stop());

  it('answers a proof without a nonce with use_dpop_nonce and a nonce in DPoP-Nonce', async () => {
    const response = await postTokenRequest(
      `${t.issuer}/token`,
      client,
      { grant_type: 'client_credentials' },
      await dpopProof(key, { htu: `${t.issuer}/token` }),
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('use_dpop_nonce');
    expect(response.headers.get('dpop-nonce')).toMatch(/^[\w-]{43}$/);
  });

  it("issues a bound token to openid-client's DPoP handle, which retries with the nonce", async () => {
    const rp = await oidc.discovery(
      new URL(t.issuer),
      client.clientId,
      undefined,
      oidc.ClientSecretBasic(client.clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(rp, keyPair);
    const tokens = await oidc.clientCredentialsGrant(rp, {}, { DPoP });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
  });

  it('still issues bearer tokens to requests without a proof', async () => {
    const response = await postTokenRequest(`${t.issuer}/token`, client, {
      grant_type: 'client_credentials',
    });
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('Bearer');
  });
});
