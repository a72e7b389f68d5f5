import * as oidc from 'openid-client';
import { generate } from 'otplib';
import type { CDPSession } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';

import { ACR } from '../../src/services/authentication-context.ts';
import { launchChromium, type ChromiumSession } from '../helpers/chromium.ts';
import {
  registerBrowserApp,
  startRelyingPartyServer,
  type RelyingPartyServer,
} from '../helpers/relying-party-server.ts';
import { createUser, PASSWORD } from '../helpers/sign-in-fixtures.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/**
 * Passkeys in a real Chromium, with the DevTools virtual authenticator standing in for the
 * platform authenticator (CDP WebAuthn domain): a resident-key, user-verifying CTAP2 device
 * that answers at once.
 */
describe('passkeys in a real browser', () => {
  let t: TestTessera;
  let rpServer: RelyingPartyServer;
  let rp: oidc.Configuration;
  let clientId: string;
  let aliceId: string;
  let chrome: ChromiumSession;
  let cdp: CDPSession;

  beforeAll(async () => {
    t = await startTestTessera(CHEAP_ARGON2);
    rpServer = await startRelyingPartyServer();
    aliceId = await createUser(t);
    ({ clientId, rp } = await registerBrowserApp(t, rpServer, {
      grantTypes: ['authorization_code'],
      scope: 'openid profile',
    }));
    chrome = await launchChromium();
    cdp = await chrome.context.newCDPSession(chrome.page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
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
      console.error(`screenshot saved: ${await chrome.screenshot(`passkeys-${task.name}`)}`);
    });

  /** Starts a sign-in at the application; returns what the code exchange needs. */
  async function startSignIn(params: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: `${rpServer.origin}/callback`,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    await chrome.page.goto(url.href);
    return { verifier, state };
  }

  /** Allows on the consent page when it is shown, waits for the callback and redeems the code. */
  async function finishSignIn({ verifier, state }: { verifier: string; state: string }) {
    const { page } = chrome;
    const allow = page.getByRole('button', { name: 'Allow' });
    const callback = `${rpServer.origin}/callback?**`;
    await Promise.race([page.waitForURL(callback), allow.waitFor()]);
    if (!page.url().startsWith(`${rpServer.origin}/callback`)) await allow.click();
    await page.waitForURL(callback);
    return oidc.authorizationCodeGrant(rp, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
  }

  async function signOut() {
    const { page } = chrome;
    await page.goto(
      oidc.buildEndSessionUrl(rp, {
        client_id: clientId,
        post_logout_redirect_uri: `${rpServer.origin}/signed-out`,
      }).href,
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${rpServer.origin}/signed-out**`);
  }

  it('adds a passkey on /account after a password sign-in', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    const started = await startSignIn();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await finishSignIn(started);

    await page.goto(`${t.issuer}/account`);
    await page.getByLabel('Name for a new passkey').fill('Laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect.poll(() => page.locator('#passkeys').textContent()).toContain('Laptop');
    const factors = await t.tessera.factors.list(aliceId);
    expect(factors.map((factor) => factor.kind)).toEqual(['passkey']);
  });

  it('signs in through the username field autofill (conditional mediation)', async () => {
    screenshotOnFailure();
    await signOut();
    // The login page asks for a conditional request as it loads; the virtual authenticator
    // answers it at once (automatic presence), as a person picking the passkey from the
    // username field's suggestions would: nothing is typed or clicked.
    const started = await startSignIn();
    const tokens = await finishSignIn(started);
    expect(tokens.claims()).toMatchObject({
      sub: aliceId,
      amr: ['hwk', 'user'],
      acr: ACR.phishingResistant,
    });
  });

  it('signs in with the "Sign in with a passkey" button, no username typed', async () => {
    screenshotOnFailure();
    await signOut();
    // A browser without passkey autofill: only the button starts a ceremony.
    await chrome.page.addInitScript(() => {
      const credentials = globalThis as unknown as {
        PublicKeyCredential: { isConditionalMediationAvailable: () => Promise<boolean> };
      };
      credentials.PublicKeyCredential.isConditionalMediationAvailable = () =>
        Promise.resolve(false);
    });
    const started = await startSignIn();
    await chrome.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const tokens = await finishSignIn(started);
    expect(tokens.claims()).toMatchObject({
      sub: aliceId,
      amr: ['hwk', 'user'],
      acr: ACR.phishingResistant,
    });
  });

  /** A password sign-in up to the second-factor page. */
  async function passwordStep(params: Record<string, string> = {}) {
    const started = await startSignIn(params);
    await chrome.page.getByLabel('Username').fill('alice');
    await chrome.page.getByLabel('Password').fill(PASSWORD);
    await chrome.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await chrome.page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    return started;
  }

  it('asks for the passkey as the second factor after the password', async () => {
    screenshotOnFailure();
    await signOut();
    const started = await passwordStep();
    await chrome.page.getByRole('button', { name: 'Use a passkey' }).click();
    const tokens = await finishSignIn(started);
    expect(tokens.claims()).toMatchObject({
      sub: aliceId,
      amr: ['pwd', 'hwk', 'user', 'mfa'],
      acr: ACR.phishingResistant,
    });
  });

  it('steps a live app-code session up to a passkey when acr_values asks for phr', async () => {
    screenshotOnFailure();
    const enrolment = await t.tessera.factors.startTotp(aliceId, 'alice');
    const now = Math.floor(Date.now() / 1000);
    await t.tessera.factors.confirmTotp(
      aliceId,
      await generate({ secret: enrolment!.secret, epoch: now }),
    );
    await signOut();
    const first = await passwordStep();
    await chrome.page
      .getByLabel('Code from your authenticator app')
      .fill(await generate({ secret: enrolment!.secret, epoch: now + 30 }));
    await chrome.page.getByRole('button', { name: 'Verify' }).click();
    expect((await finishSignIn(first)).claims()?.acr).toBe(ACR.multiFactor);

    // Same browser session: without acr_values no page at all; with phr, the sign-in page.
    const again = await startSignIn();
    expect((await finishSignIn(again)).claims()?.acr).toBe(ACR.multiFactor);
    const stepUp = await startSignIn({ acr_values: ACR.phishingResistant });
    await chrome.page.getByText('asks you to confirm it is you with a passkey').waitFor();
    await chrome.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const tokens = await finishSignIn(stepUp);
    expect(tokens.claims()).toMatchObject({ sub: aliceId, acr: ACR.phishingResistant });
  });

  it('removes the passkey on /account', async () => {
    screenshotOnFailure();
    const { page } = chrome;
    await page.goto(`${t.issuer}/account`);
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect
      .poll(() => page.locator('#passkeys-status').textContent())
      .toBe('You have no passkeys.');
    expect((await t.tessera.factors.list(aliceId)).map((factor) => factor.kind)).toEqual(['totp']);
  });
});
