import { setTimeout as sleep } from 'node:timers/promises';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
  PASSWORD,
  registerAppClient,
  signIn,
  submitConsent,
  submitLogin,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('consent and prompts', () => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTessera();
    await createUser(t);
    app = await registerAppClient(t, { public: true, name: 'Photo Gallery' });
  });
  afterAll(() => t.stop());

  const go = async (browser: BrowserSession, params: Record<string, string> = {}) => {
    const request = await authorizationRequest(app, { params });
    return browser.follow(request.url.href, t.issuer);
  };

  const signedIn = async () => {
    const browser = new BrowserSession();
    await signIn(t, app, browser);
    return browser;
  };

  it('asks for consent with the client name and the requested permissions', async () => {
    const browser = new BrowserSession();
    const login = await go(browser, { scope: 'openid profile email' });
    const { page } = await submitLogin(browser, t, login.page, 'alice', PASSWORD);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Photo Gallery wants to access your account');
    expect(page.body).toContain('Signed in as alice');
    for (const text of [
      'Confirm who you are',
      'See your name, username, picture, language and time zone',
      'See your email address',
    ]) {
      expect(page.body).toContain(text);
    }
  });

  it('remembers consent for the same client and scopes on this browser session', async () => {
    const browser = await signedIn();
    const { page, leftTo } = await go(browser);
    expect(page.body).not.toContain('/confirm"');
    expect(leftTo?.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('asks again, only for what is new, when the client wants more', async () => {
    const browser = new BrowserSession();
    await signIn(t, app, browser, { params: { scope: 'openid profile' } });
    const { page, leftTo } = await go(browser, { scope: 'openid profile email' });
    expect(leftTo).toBeUndefined();
    expect(page.body).toContain('See your email address');
    expect(page.body).not.toContain('See your name, username, picture, language and time zone');
    const done = await submitConsent(browser, t, page);
    expect(done.leftTo?.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('sends the person back with access_denied when they deny', async () => {
    const browser = new BrowserSession();
    const login = await go(browser);
    const { page } = await submitLogin(browser, t, login.page, 'alice', PASSWORD);
    const deny = new URL(formAction(page.body, '/abort'), t.issuer).href;
    const { leftTo } = await browser.follow(deny, t.issuer, {
      form: { csrf: formValue(page.body, 'csrf') },
    });
    expect(leftTo?.searchParams.get('error')).toBe('access_denied');
  });

  it('shows the consent page again for prompt=consent', async () => {
    const browser = await signedIn();
    const { page, leftTo } = await go(browser, { prompt: 'consent' });
    expect(leftTo).toBeUndefined();
    expect(page.body).toContain('wants to access your account');
  });

  it('shows the sign-in page again for prompt=login', async () => {
    const browser = await signedIn();
    const { page, leftTo } = await go(browser, { prompt: 'login' });
    expect(leftTo).toBeUndefined();
    expect(page.body).toContain('name="password"');
    const done = await submitLogin(browser, t, page, 'alice', PASSWORD);
    expect(done.leftTo?.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('answers login_required for prompt=none without a session', async () => {
    const { leftTo } = await go(new BrowserSession(), { prompt: 'none' });
    expect(leftTo?.searchParams.get('error')).toBe('login_required');
  });

  it('answers consent_required for prompt=none when consent is missing', async () => {
    const browser = new BrowserSession();
    const login = await go(browser, { scope: 'openid' });
    const { page } = await submitLogin(browser, t, login.page, 'alice', PASSWORD);
    await submitConsent(browser, t, page);
    const { leftTo } = await go(browser, { prompt: 'none', scope: 'openid email' });
    expect(leftTo?.searchParams.get('error')).toBe('consent_required');
  });

  it('issues a code for prompt=none with a session and consent', async () => {
    const browser = await signedIn();
    const { leftTo } = await go(browser, { prompt: 'none' });
    expect(leftTo?.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('asks to sign in again when the session is older than max_age, and says when it was', async () => {
    const browser = await signedIn();
    const firstSignInBy = Math.floor(Date.now() / 1000);
    // oidc-provider measures max_age on the system clock, in whole seconds: once a second has
    // passed, a session is older than max_age=0. (Not a synchronisation: the time must pass.)
    await sleep(1100);
    const request = await authorizationRequest(app, { params: { max_age: '0' } });
    const first = await browser.follow(request.url.href, t.issuer);
    expect(first.page.body).toContain('name="password"');
    const secondSignInFrom = Math.floor(Date.now() / 1000);
    const { leftTo } = await submitLogin(browser, t, first.page, 'alice', PASSWORD);
    const secondSignInBy = Math.ceil(Date.now() / 1000);
    const tokens = await oidc.authorizationCodeGrant(app.rp, leftTo!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      maxAge: 0,
    });
    const authTime = Number(decodeJwt(tokens.id_token!).auth_time);
    // The time of the sign-in just made, not of the session's first one.
    expect(authTime).toBeGreaterThan(firstSignInBy);
    expect(authTime).toBeGreaterThanOrEqual(secondSignInFrom);
    expect(authTime).toBeLessThanOrEqual(secondSignInBy);
  });

  it('signs a disabled account out of its session: the next request asks to sign in again', async () => {
    await createUser(t, 'carol');
    const browser = new BrowserSession();
    await signIn(t, app, browser, { username: 'carol' });
    const [carol] = await t.tessera.accounts.list({ limit: 1, search: 'carol' });
    await t.tessera.accounts.setDisabled(carol!.id, true);
    const { page, leftTo } = await go(browser);
    expect(leftTo).toBeUndefined();
    expect(page.body).toContain('name="password"');
  });
});
