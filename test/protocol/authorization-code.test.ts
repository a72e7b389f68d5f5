import { createHash } from 'node:crypto';

import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  PASSWORD,
  registerAppClient,
  REDIRECT_URI,
  signIn,
  signInAndRedeem,
  submitConsent,
  submitLogin,
  type AppClient,
  type RequestOptions,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://photos.example.com/api';

describe.each(STORAGE_BACKENDS)('authorization code with PKCE (%s store)', (backend) => {
  let t: TestTessera;
  let app: AppClient;
  let aliceId: string;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    aliceId = await createUser(t);
    await t.tessera.resourceServers.create({
      audience: API,
      scopes: ['photos:read', 'photos:write'],
    });
    app = await registerAppClient(t, {
      public: true,
      scope: 'openid profile email offline_access photos:read',
    });
  });
  afterAll(() => t.stop());

  /** Starts an authorization request in a fresh browser and follows it as far as it goes. */
  const start = async (
    client: AppClient,
    params: Record<string, string>,
    options: RequestOptions = {},
  ) => {
    const browser = new BrowserSession();
    const request = await authorizationRequest(client, { ...options, params });
    return { browser, request, ...(await browser.follow(request.url.href, t.issuer)) };
  };

  it('signs a person in through the pages and issues tokens for them', async () => {
    const { tokens } = await signInAndRedeem(t, app);
    expect(tokens.claims()).toMatchObject({ sub: aliceId, iss: t.issuer, aud: app.clientId });
    const userinfo = await oidc.fetchUserInfo(app.rp, tokens.access_token, aliceId);
    expect(userinfo).toEqual({
      sub: aliceId,
      name: 'Alice Liddell',
      preferred_username: 'alice',
      updated_at: expect.any(Number),
      email: 'alice@example.com',
      email_verified: true,
    });
  });

  it('releases only the claims of the granted scopes', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, { params: { scope: 'openid' } });
    expect(await oidc.fetchUserInfo(app.rp, tokens.access_token, aliceId)).toEqual({
      sub: aliceId,
    });
  });

  it('returns the state unchanged and puts the nonce in the ID token', async () => {
    const { callback, state, nonce, verifier } = await signIn(t, app, new BrowserSession());
    expect(callback.searchParams.get('state')).toBe(state);
    const tokens = await oidc.authorizationCodeGrant(app.rp, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(decodeJwt(tokens.id_token!).nonce).toBe(nonce);
  });

  it('issues a JWT access token for a resource server named in the request', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { scope: 'openid photos:read', resource: API },
    });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({
      typ: 'at+jwt',
      alg: 'ES256',
    });
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      aud: API,
      sub: aliceId,
      client_id: app.clientId,
      scope: 'photos:read',
    });
  });

  it('also signs a confidential client in, with or without PKCE', async () => {
    const confidential = await registerAppClient(t, { name: 'Back Office' });
    const withPkce = await signInAndRedeem(t, confidential);
    expect(withPkce.tokens.claims()?.sub).toBe(aliceId);
    const withoutPkce = await signInAndRedeem(t, confidential, undefined, { pkce: false });
    expect(withoutPkce.tokens.claims()?.sub).toBe(aliceId);
  });

  it('refuses a public client that sends no PKCE challenge', async () => {
    const { leftTo } = await start(app, {}, { pkce: false });
    expect(leftTo?.searchParams.get('error')).toBe('invalid_request');
    expect(leftTo?.searchParams.get('error_description')).toMatch(/PKCE/i);
  });

  it('refuses the plain PKCE method', async () => {
    const { leftTo } = await start(app, {
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    });
    expect(leftTo?.searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a verifier that does not match the challenge', async () => {
    const { callback, state } = await signIn(t, app, new BrowserSession());
    const error = await oidc
      .authorizationCodeGrant(app.rp, callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: state,
      })
      .then(
        () => undefined,
        (e: unknown) => e as { error?: string },
      );
    expect(error?.error).toBe('invalid_grant');
  });

  it.each([
    ['with a trailing slash', `${REDIRECT_URI}/`],
    ['with a query added', `${REDIRECT_URI}?next=/`],
    ['on another host', 'http://127.0.0.2:9/callback'],
  ])('refuses a redirect URI %s, on an error page and without redirecting', async (_how, uri) => {
    const { page, leftTo } = await start(app, { redirect_uri: uri });
    expect(leftTo).toBeUndefined();
    expect(page.status).toBe(400);
    expect(page.body).toContain('<h1>Sign-in could not continue</h1>');
    expect(page.body).toContain('invalid_redirect_uri');
  });

  it('refuses tessera:admin even to a client whose allow-list names it', async () => {
    const admin = await registerAppClient(t, { public: true, scope: 'openid tessera:admin' });
    const { leftTo } = await start(admin, { scope: 'openid tessera:admin' });
    expect(leftTo?.searchParams.get('error')).toBe('invalid_scope');
  });

  it('refuses tessera:admin to a client with no static scope on its allow-list', async () => {
    const apiOnly = await registerAppClient(t, { public: true, scope: 'photos:read' });
    const { leftTo } = await start(apiOnly, { scope: 'tessera:admin' }, { nonce: false });
    expect(leftTo?.searchParams.get('error')).toBe('invalid_scope');
  });

  it('refuses a scope that is not on the client allow-list', async () => {
    const narrow = await registerAppClient(t, { public: true, scope: 'openid profile' });
    const { leftTo } = await start(narrow, { scope: 'openid email' });
    expect(leftTo?.searchParams.get('error')).toBe('invalid_scope');
  });

  it('refuses a resource-server scope requested without its resource', async () => {
    const { leftTo } = await start(app, { scope: 'openid photos:read' });
    expect(leftTo?.searchParams.get('error')).toBe('invalid_scope');
    expect(leftTo?.searchParams.get('error_description')).toMatch(/resource parameter/);
  });

  it('answers with form_post under the strict CSP, its inline script allowed by hash', async () => {
    const browser = new BrowserSession();
    const request = await authorizationRequest(app, { params: { response_mode: 'form_post' } });
    const first = await browser.follow(request.url.href, t.issuer);
    let { page } = await submitLogin(browser, t, first.page, 'alice', PASSWORD);
    if (page.body.includes('/confirm"')) ({ page } = await submitConsent(browser, t, page));
    expect(page.status).toBe(200);
    expect(page.body).toContain(`action="${REDIRECT_URI}"`);
    expect(page.body).toMatch(/name="code" value="[^"]+"/);
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)![1]!;
    const hash = createHash('sha256').update(script).digest('base64');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(
      new RegExp(`script-src 'nonce-[^']+' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`),
    );
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('form-action');
  });
});
