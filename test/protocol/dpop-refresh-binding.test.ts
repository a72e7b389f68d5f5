import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import {
  createDpopKey,
  dpopProof,
  postTokenRequest,
  type DpopKey,
  type TokenRequester,
} from '../helpers/dpop-proofs.ts';
import {
  createUser,
  REDIRECT_URI,
  registerAppClient,
  signIn,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://photos.example.com/api';
// OIDC Core section 11: offline_access is honoured together with prompt=consent.
const OFFLINE = { scope: 'openid offline_access photos:read', prompt: 'consent', resource: API };

describe.each(STORAGE_BACKENDS)('DPoP through sign-in and refresh (%s store)', (backend) => {
  let t: TestTessera;
  let publicApp: AppClient;
  let confidentialApp: AppClient;
  let key: DpopKey;
  let otherKey: DpopKey;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, CHEAP_ARGON2);
    await createUser(t);
    await t.tessera.resourceServers.create({ audience: API, scopes: ['photos:read'] });
    const scope = 'openid offline_access photos:read';
    publicApp = await registerAppClient(t, { public: true, scope });
    confidentialApp = await registerAppClient(t, { name: 'Back Office', scope });
    [key, otherKey] = await Promise.all([createDpopKey(), createDpopKey()]);
  });
  afterAll(() => t.stop());

  const tokenEndpoint = () => `${t.issuer}/token`;
  const proofBy = (dpopKey: DpopKey) => dpopProof(dpopKey, { htu: tokenEndpoint() });
  const post = (app: TokenRequester, params: Record<string, string>, proof?: string) =>
    postTokenRequest(tokenEndpoint(), app, params, proof);

  /** Signs alice in and redeems the code, with a proof by `dpopKey` when given. */
  const redeem = async (app: AppClient, dpopKey?: DpopKey) => {
    const { callback, verifier } = await signIn(t, app, new BrowserSession(), { params: OFFLINE });
    const code = new URL(callback).searchParams.get('code') ?? '';
    const params = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    return post(app, params, dpopKey && (await proofBy(dpopKey)));
  };
  const refresh = async (app: AppClient, refreshToken: string, dpopKey?: DpopKey) =>
    post(
      app,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      dpopKey && (await proofBy(dpopKey)),
    );

  it('binds the access token of a code exchange with a proof to its key', async () => {
    const response = await redeem(publicApp, key);
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('DPoP');
    expect(decodeJwt(response.body.access_token as string).cnf).toEqual({ jkt: key.thumbprint });
  });

  it("refuses a refresh with another key's proof for a public client's refresh token", async () => {
    const { body: tokens } = await redeem(publicApp, key);
    const response = await refresh(publicApp, tokens.refresh_token as string, otherKey);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });

  it("refuses a refresh without a proof for a public client's refresh token", async () => {
    const { body: tokens } = await redeem(publicApp, key);
    const response = await refresh(publicApp, tokens.refresh_token as string);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });

  it("refreshes a public client's bound token with the same key, still bound, after refusals", async () => {
    const { body: tokens } = await redeem(publicApp, key);
    const refreshToken = tokens.refresh_token as string;
    // Refusals for the wrong key happen before the token is consumed: it still works.
    expect((await refresh(publicApp, refreshToken, otherKey)).status).toBe(400);
    const response = await refresh(publicApp, refreshToken, key);
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('DPoP');
    expect(decodeJwt(response.body.access_token as string).cnf).toEqual({ jkt: key.thumbprint });
    // The rotated refresh token is bound to the same key.
    const next = await refresh(publicApp, response.body.refresh_token as string, otherKey);
    expect(next.body.error).toBe('invalid_grant');
  });

  it("leaves a confidential client's refresh token unbound: another key's proof binds the new token to it", async () => {
    const { body: tokens } = await redeem(confidentialApp, key);
    expect(decodeJwt(tokens.access_token as string).cnf).toEqual({ jkt: key.thumbprint });
    // RFC 9449 section 5: the client authenticates, so its refresh token needs no DPoP binding.
    const response = await refresh(confidentialApp, tokens.refresh_token as string, otherKey);
    expect(response.status).toBe(200);
    expect(decodeJwt(response.body.access_token as string).cnf).toEqual({
      jkt: otherKey.thumbprint,
    });
  });
});
