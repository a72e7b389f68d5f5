import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  PASSWORD,
  registerAppClient,
  signInAndRedeem,
  submitConsent,
  submitLogin,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

describe.each(STORAGE_BACKENDS)('pushed authorization requests (%s store)', (backend) => {
  let t: TestTessera;
  let app: AppClient;
  let aliceId: string;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    aliceId = await createUser(t);
    app = await registerAppClient(t);
  });
  afterAll(() => t.stop());

  /** Presents an authorization URL (client_id and request_uri) as a browser would, once. */
  const present = async (url: URL) => {
    const response = await fetch(url, { redirect: 'manual' });
    return {
      status: response.status,
      location: new URL(response.headers.get('location') ?? 'x:', t.issuer),
      body: await response.text(),
    };
  };
  const startsSignIn = (answer: Awaited<ReturnType<typeof present>>) =>
    answer.status === 303 && answer.location.pathname.startsWith('/interaction/');
  /**
   * oidc-provider's answer to a spent, unknown or expired request_uri: the client has one
   * redirect URI, so the error goes back to it (lib/shared/authorization_error_handler.js).
   */
  const refusedAsSpent = (answer: Awaited<ReturnType<typeof present>>) =>
    answer.status === 303 &&
    answer.location.searchParams.get('error') === 'invalid_request_uri' &&
    answer.location.searchParams.get('iss') === t.issuer;

  it('completes a pushed request through sign-in and consent, back to the application', async () => {
    const { tokens } = await signInAndRedeem(t, app, new BrowserSession(), { pushed: true });
    expect(tokens.claims()).toMatchObject({ sub: aliceId, iss: t.issuer, aud: app.clientId });
  });

  it('refuses a second use of a request_uri while its sign-in is under way, which still completes', async () => {
    const request = await authorizationRequest(app, { pushed: true });
    expect([...request.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const browser = new BrowserSession();
    const loginPage = await browser.follow(request.url.href, t.issuer);
    expect(loginPage.page.body).toContain('name="password"');

    const again = await present(request.url);
    expect(refusedAsSpent(again), `${again.status} ${again.location.href}`).toBe(true);

    // The request's parameters outlive its request_uri: the sign-in resumes with them.
    let { page, leftTo } = await submitLogin(browser, t, loginPage.page, 'alice', PASSWORD);
    if (!leftTo) ({ page, leftTo } = await submitConsent(browser, t, page));
    expect(leftTo, page.body).toBeDefined();
    const tokens = await oidc.authorizationCodeGrant(app.rp, leftTo!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.sub).toBe(aliceId);
  });

  it('lets exactly one of several concurrent uses of a request_uri proceed', async () => {
    const { url } = await authorizationRequest(app, { pushed: true });
    const answers = await Promise.all(Array.from({ length: 4 }, () => present(url)));
    expect(answers.filter(startsSignIn)).toHaveLength(1);
    expect(answers.filter(refusedAsSpent)).toHaveLength(3);
  });

  it('answers a pushed request straight away in a browser already signed in, then refuses its reuse', async () => {
    const { browser } = await signInAndRedeem(t, app, new BrowserSession(), { pushed: true });
    const request = await authorizationRequest(app, { pushed: true });
    const { leftTo, page } = await browser.follow(request.url.href, t.issuer);
    expect(leftTo?.searchParams.has('code'), `${page.status}:\n${page.body}`).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(app.rp, leftTo!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.sub).toBe(aliceId);
    expect(refusedAsSpent(await present(request.url))).toBe(true);
  });
});
