import * as oidc from 'openid-client';
import type { Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';

import { launchChromium, type ChromiumSession } from '../helpers/chromium.ts';
import {
  registerBrowserApp,
  startRelyingPartyServer,
  type RelyingPartyServer,
} from '../helpers/relying-party-server.ts';
import { createUser, PASSWORD } from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/**
 * OIDC Core 1.0 section 3.1.2.1 and RP-Initiated Logout 1.0 section 2: the application's page
 * (on http://127.0.0.1:<port>) form-POSTs its requests to Tessera (on http://localhost:<port>),
 * another site: the browser sends such a POST only SameSite=None cookies, so these hold the
 * cookie policy of src/provider/provider-cookies.ts in a real browser.
 */
describe('requests an application posts from its own site, in a real browser', () => {
  let t: TestTessera;
  let rpServer: RelyingPartyServer;
  let rp: oidc.Configuration;
  let aliceId: string;
  let chrome: ChromiumSession;
  let idToken: string;

  beforeAll(async () => {
    t = await startTestTessera();
    rpServer = await startRelyingPartyServer();
    aliceId = await createUser(t);
    ({ rp } = await registerBrowserApp(t, rpServer, {
      grantTypes: ['authorization_code', 'refresh_token'],
      scope: 'openid profile email',
    }));
    chrome = await launchChromium();
  });
  afterEach((context) => {
    expect(chrome.cspViolations, `CSP violations during "${context.task.name}"`).toEqual([]);
  });
  afterAll(async () => {
    await chrome?.close();
    rpServer?.close();
    await t?.stop();
  });

  const screenshotOnFailure = () =>
    onTestFailed(async ({ task }) => {
      const path = await chrome.screenshot(`browser-post-${task.name}`);
      console.error(`screenshot saved: ${path}`);
    });

  /** The authorization request's parameters, as the application's form fields. */
  const authorizationFields = async (params: Record<string, string> = {}) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: `${rpServer.origin}/callback`,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    return { fields: Object.fromEntries(url.searchParams), verifier, state };
  };

  /** Opens the application's page that posts `fields` to `path`; resolves with Tessera's POST. */
  const postFromApplication = async (path: string, fields: Record<string, string>) => {
    const { page } = chrome;
    const postingPage = rpServer.postingPage(`${t.issuer}${path}`, fields);
    const [posted] = await Promise.all([
      page.waitForRequest(
        (request) => request.method() === 'POST' && request.url() === `${t.issuer}${path}`,
      ),
      page.goto(postingPage),
    ]);
    return posted;
  };

  const expectCrossSite = async (request: Request) => {
    const headers = await request.allHeaders();
    expect(headers['sec-fetch-site']).toBe('cross-site');
    expect(headers.origin).toBe(rpServer.origin);
  };

  it('signs in from a POST authorization request and returns a code the application redeems', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    const { fields, verifier, state } = await authorizationFields();
    await expectCrossSite(await postFromApplication('/auth', fields));

    await expect.poll(() => page.title()).toContain('Sign in');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page
      .getByRole('heading', { name: 'Photo Gallery wants to access your account' })
      .waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${rpServer.origin}/callback?**`);

    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()?.sub).toBe(aliceId);
    idToken = tokens.id_token!;
  });

  it('answers a POST prompt=none request from the session, without the sign-in page', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    const pagesShown: string[] = [];
    const onResponse = (response: { url(): string }) => pagesShown.push(response.url());
    page.on('response', onResponse);
    try {
      const { fields, verifier, state } = await authorizationFields({ prompt: 'none' });
      await expectCrossSite(await postFromApplication('/auth', fields));
      await page.waitForURL(`${rpServer.origin}/callback?**`);

      const callback = new URL(page.url());
      expect(callback.searchParams.get('error')).toBeNull();
      const tokens = await oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      expect(tokens.claims()?.sub).toBe(aliceId);
    } finally {
      page.off('response', onResponse);
    }
    expect(pagesShown.filter((url) => url.includes('/interaction/'))).toEqual([]);
  });

  it('signs out from a POST logout request after the confirmation, and prompt=none then needs a sign-in', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    const logout = await postFromApplication('/session/end', {
      id_token_hint: idToken,
      post_logout_redirect_uri: `${rpServer.origin}/signed-out`,
      state: 'bye',
    });
    await expectCrossSite(logout);
    // The question is asked only of a signed-in session; without one, oidc-provider posts the
    // confirmation itself and the browser lands on the application at once.
    const signOut = page.getByRole('button', { name: 'Sign out' });
    const signedOut = `${rpServer.origin}/signed-out?state=bye`;
    await expect
      .poll(async () => page.url() === signedOut || (await signOut.isVisible()))
      .toBe(true);
    expect(page.url(), 'the session cookie came with the POST: the question is asked').not.toBe(
      signedOut,
    );
    await expect.poll(() => page.getByText('Photo Gallery asked to sign you out.').count()).toBe(1);

    await signOut.click();
    await page.waitForURL(`${rpServer.origin}/signed-out?state=bye`);

    const { fields } = await authorizationFields({ prompt: 'none' });
    await postFromApplication('/auth', fields);
    await page.waitForURL(`${rpServer.origin}/callback?**`);
    expect(new URL(page.url()).searchParams.get('error')).toBe('login_required');
  });
});
