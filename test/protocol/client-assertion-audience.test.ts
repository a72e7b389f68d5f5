import { randomUUID } from 'node:crypto';

import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { postForm } from '../helpers/oauth-fixtures.ts';
import { REDIRECT_URI } from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * draft-ietf-oauth-rfc7523bis: a private_key_jwt client assertion names the issuer identifier,
 * as a single string, and nothing else; anything else is 401 invalid_client (RFC 6749 5.2).
 */
describe('private_key_jwt client assertion audience', () => {
  let t: TestTessera;
  let clientId: string;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    t = await startTestTessera();
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const { client } = await t.tessera.clients.create({
      name: 'signer',
      metadata: {
        grant_types: ['client_credentials', 'authorization_code'],
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [jwk] },
        scope: 'openid',
      },
    });
    clientId = client.clientId;
  });
  afterAll(() => t.stop());

  const assertion = (audience: string | string[]) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(privateKey);

  /** A request to `path` authenticated by an assertion for `audience`, with `params`. */
  const authenticated = async (
    path: string,
    audience: string | string[],
    params: Record<string, string>,
  ) =>
    postForm(
      `${t.issuer}${path}`,
      new URLSearchParams({
        ...params,
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion(audience),
      }).toString(),
    );
  const tokenRequest = (audience: string | string[]) =>
    authenticated('/token', audience, { grant_type: 'client_credentials' });
  const pushedRequest = (audience: string | string[]) =>
    authenticated('/request', audience, {
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });

  const expectInvalidClient = (answer: Awaited<ReturnType<typeof postForm>>) => {
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
  };

  it("openid-client's PrivateKeyJwt addresses the issuer as a string, and gets a token", async () => {
    const rp = await oidc.discovery(
      new URL(t.issuer),
      clientId,
      undefined,
      oidc.PrivateKeyJwt({ key: privateKey, kid: 'k1' }),
      { execute: [oidc.allowInsecureRequests] },
    );
    const sent: string[] = [];
    rp[oidc.customFetch] = (url, options) => {
      const body = options.body instanceof URLSearchParams ? options.body : undefined;
      const assertionSent = body?.get('client_assertion');
      if (assertionSent) sent.push(assertionSent);
      return fetch(url, options as RequestInit);
    };
    const tokens = await oidc.clientCredentialsGrant(rp);
    expect(tokens.access_token).toBeTruthy();
    expect(sent.map((jwt) => decodeJwt(jwt).aud)).toEqual([t.issuer]);
  });

  it('takes an assertion addressed to the issuer at the token endpoint (fast path)', async () => {
    const answer = await tokenRequest(t.issuer);
    expect(answer.status).toBe(200);
    expect(answer.body['access_token']).toEqual(expect.any(String));
  });

  it.each([
    ['the token endpoint URL', (issuer: string) => `${issuer}/token`],
    ['the issuer in an array', (issuer: string) => [issuer]],
    ['the issuer and the token endpoint URL', (issuer: string) => [issuer, `${issuer}/token`]],
    ['the issuer with a trailing slash', (issuer: string) => `${issuer}/`],
    ['another server', () => 'https://other.example.com'],
  ])('refuses an assertion addressed to %s at the token endpoint', async (_what, audience) => {
    expectInvalidClient(await tokenRequest(audience(t.issuer)));
  });

  it('takes an assertion addressed to the issuer at the PAR endpoint, and refuses its URL', async () => {
    expect((await pushedRequest(t.issuer)).status).toBe(201);
    expectInvalidClient(await pushedRequest(`${t.issuer}/request`));
    expectInvalidClient(await pushedRequest(`${t.issuer}/token`));
  });

  it.each(['/token/introspection', '/token/revocation'])(
    'refuses an assertion addressed to the token endpoint or to %s itself there',
    async (path) => {
      const { body } = await tokenRequest(t.issuer);
      const params = { token: String(body['access_token']) };
      expect((await authenticated(path, t.issuer, params)).status).toBe(200);
      expectInvalidClient(await authenticated(path, `${t.issuer}/token`, params));
      expectInvalidClient(await authenticated(path, `${t.issuer}${path}`, params));
    },
  );
});
