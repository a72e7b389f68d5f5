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
import { registerClient, type RegisteredClient } from '../helpers/oauth-fixtures.ts';
import {
  createUser,
  REDIRECT_URI,
  registerAppClient,
  signIn,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

const PAYMENTS = 'https://payments.example.com/api';
const OPEN = 'https://catalog.example.com/api';

describe.each(STORAGE_BACKENDS)('resource servers that require DPoP (%s store)', (backend) => {
  let t: TestTessera;
  let service: RegisteredClient;
  let app: AppClient;
  let key: DpopKey;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, CHEAP_ARGON2);
    await createUser(t);
    await t.tessera.resourceServers.create({
      audience: PAYMENTS,
      scopes: ['payments:write'],
      requireDpop: true,
    });
    await t.tessera.resourceServers.create({ audience: OPEN, scopes: ['catalog:read'] });
    service = await registerClient(t, { scope: 'payments:write catalog:read' });
    app = await registerAppClient(t, {
      name: 'Checkout',
      scope: 'openid offline_access payments:write',
    });
    key = await createDpopKey();
  });
  afterAll(() => t.stop());

  const tokenEndpoint = () => `${t.issuer}/token`;
  const proof = () => dpopProof(key, { htu: tokenEndpoint() });
  const post = (client: TokenRequester, params: Record<string, string>, dpop?: string) =>
    postTokenRequest(tokenEndpoint(), client, params, dpop);
  const clientCredentials = (resource: string, scope: string, dpop?: string) =>
    post(service, { grant_type: 'client_credentials', resource, scope }, dpop);

  /** Alice signs in to the checkout for PAYMENTS; the code is redeemed with a proof. */
  const signInForPayments = async () => {
    const { callback, verifier } = await signIn(t, app, new BrowserSession(), {
      params: {
        scope: 'openid offline_access payments:write',
        prompt: 'consent',
        resource: PAYMENTS,
      },
    });
    return {
      grant_type: 'authorization_code',
      code: new URL(callback).searchParams.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
  };

  it('refuses a client-credentials request without a proof with 400 invalid_request', async () => {
    const response = await clientCredentials(PAYMENTS, 'payments:write');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('DPoP proof JWT not provided'),
    });
  });

  it('issues a token bound to the proof key to a request with a proof', async () => {
    const response = await clientCredentials(PAYMENTS, 'payments:write', await proof());
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('DPoP');
    expect(decodeJwt(response.body.access_token as string)).toMatchObject({
      aud: PAYMENTS,
      cnf: { jkt: key.thumbprint },
    });
  });

  it('still issues bearer tokens for a resource server that does not require DPoP', async () => {
    const response = await clientCredentials(OPEN, 'catalog:read');
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('Bearer');
  });

  it('refuses a code exchange without a proof with 400 invalid_request', async () => {
    const response = await post(app, await signInForPayments());
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
  });

  it("refuses a refresh without a proof before rotating: the client's refresh token still works", async () => {
    const redeemed = await post(app, await signInForPayments(), await proof());
    expect(redeemed.status).toBe(200);
    const refresh = {
      grant_type: 'refresh_token',
      refresh_token: redeemed.body.refresh_token as string,
    };

    const refused = await post(app, refresh);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_request');
    // Not consumed by the refusal: with a proof, the same refresh token is accepted.
    const refreshed = await post(app, refresh, await proof());
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.access_token as string).cnf).toEqual({ jkt: key.thumbprint });
  });

  it('refuses bearer tokens from the moment the setting is turned on', async () => {
    const { id } = await t.tessera.resourceServers.create({
      audience: 'https://ledger.example.com/api',
      scopes: ['catalog:read'],
    });
    expect((await clientCredentials('https://ledger.example.com/api', 'catalog:read')).status).toBe(
      200,
    );
    await t.tessera.resourceServers.update(id, { requireDpop: true });
    const response = await clientCredentials('https://ledger.example.com/api', 'catalog:read');
    expect(response.body.error).toBe('invalid_request');
  });
});
