import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';

import { launchChromium, type ChromiumSession } from '../helpers/chromium.ts';
import {
  registerBrowserApp,
  startRelyingPartyServer,
  type RelyingPartyServer,
} from '../helpers/relying-party-server.ts';
import { createUser, PASSWORD } from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('signing in with a real browser', () => {
  let t: TestTessera;
  let rpServer: RelyingPartyServer;
  let rp: oidc.Configuration;
  let clientId: string;
  let aliceId: string;
  let chrome: ChromiumSession;

  beforeAll(async () => {
    t = await startTestTessera();
    rpServer = await startRelyingPartyServer();
    aliceId = await createUser(t);
    ({ clientId, rp } = await registerBrowserApp(t, rpServer, {
      grantTypes: ['authorization_code', 'refresh_token'],
      scope: 'openid profile email',
    }));
    chrome = await launchChromium();
  });
  afterEach((context) => {
    // One browser for the whole journey: each step builds on the previous one's session.
    expect(chrome.cspViolations, `CSP violations during "${context.task.name}"`).toEqual([]);
  });
  afterAll(async () => {
    await chrome?.close();
    rpServer?.close();
    await t?.stop();
  });

  const screenshotOnFailure = () =>
    onTestFailed(async ({ task }) => {
      const path = await chrome.screenshot(`browser-${task.name}`);
      console.error(`screenshot saved: ${path}`);
    });

  const authorizationUrl = async (params: Record<string, string> = {}) => {
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
    return { url, verifier, state };
  };

  it('signs in on the login page, consents, and the application gets tokens', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    const { url, verifier, state } = await authorizationUrl();
    await page.goto(url.href);
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
  });

  it('shows the same message for a wrong password, with the fields labelled', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    const { url } = await authorizationUrl({ prompt: 'login' });
    await page.goto(url.href);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('The username or password is incorrect.');
  });

  it('posts the code back with response_mode=form_post, the inline script allowed by its hash', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    const { url } = await authorizationUrl({ response_mode: 'form_post' });
    const before = rpServer.received.length;
    await page.goto(url.href);
    await page.waitForURL(`${rpServer.origin}/callback`);
    const posted = rpServer.received.slice(before).find((r) => r.method === 'POST');
    expect(posted?.body.get('code')).toEqual(expect.any(String));
  });

  it('signs out after confirming and returns to the application', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    const endSession = oidc.buildEndSessionUrl(rp, {
      client_id: clientId,
      post_logout_redirect_uri: `${rpServer.origin}/signed-out`,
      state: 'bye',
    });
    await page.goto(endSession.href);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${rpServer.origin}/signed-out?state=bye`);
  });
});
