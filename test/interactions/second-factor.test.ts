import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ACR } from '../../src/services/authentication-context.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.ts';
import { BrowserSession, type PageResponse } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formValue,
  PASSWORD,
  registerAppClient,
  signInAndRedeem,
  submitConsent,
  submitLogin,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

/** The TOTP code of `secret` at `offsetSteps` 30-second steps from now (RFC 6238). */
const totpCode = (secret: string, offsetSteps = 0) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

describe.each(STORAGE_BACKENDS)('second factor on the hosted pages (%s store)', (backend) => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, {
      ...CHEAP_ARGON2,
      TESSERA_LOGIN_THROTTLE_AFTER: '3',
      TESSERA_LOGIN_LOCKOUT_AFTER: '3',
    });
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  const accountPage = (browser: BrowserSession) => browser.request(`${t.issuer}/account`);

  /** Posts one of the account page's forms (its CSRF token taken from `page`). */
  const postAccountForm = (
    browser: BrowserSession,
    page: PageResponse,
    path: string,
    fields: Record<string, string> = {},
  ) =>
    browser.follow(`${t.issuer}${path}`, t.issuer, {
      form: { csrf: formValue(page.body, 'csrf'), ...fields },
    });

  /** Signs `username` in with a password (no second factor yet) and sets up an app on /account. */
  async function enrolTotp(username: string) {
    await createUser(t, username);
    const { browser } = await signInAndRedeem(t, app, new BrowserSession(), { username });
    const before = await accountPage(browser);
    const started = await postAccountForm(browser, before, '/account/totp/start');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(started.page.body)?.[1];
    expect(secret, started.page.body).toBeDefined();
    expect(started.page.body).toContain('<svg');
    const confirmed = await postAccountForm(browser, started.page, '/account/totp/confirm', {
      code: await totpCode(secret!),
    });
    expect(confirmed.page.body).toContain('An authenticator app is set up');
    return { browser, secret: secret!, page: confirmed.page };
  }

  /** A new browser's sign-in up to the second-factor page. */
  async function passwordStep(username: string) {
    const browser = new BrowserSession();
    const request = await authorizationRequest(app);
    const login = await browser.follow(request.url.href, t.issuer);
    const { page } = await submitLogin(browser, t, login.page, username, PASSWORD);
    return { browser, request, page };
  }

  /** Submits the second-factor form; past it, consents (a new browser) and returns where it left to. */
  const submitSecondFactor = async (
    browser: BrowserSession,
    page: PageResponse,
    method: 'totp' | 'recovery_code',
    code: string,
  ) => {
    const action = /action="(\/interaction\/[^"]+\/second-factor)"/.exec(page.body)?.[1];
    expect(action, page.body).toBeDefined();
    const answer = await browser.follow(`${t.issuer}${action!}`, t.issuer, {
      form: { csrf: formValue(page.body, 'csrf'), method, code },
    });
    if (!answer.leftTo && answer.page.body.includes('/confirm"')) {
      return submitConsent(browser, t, answer.page);
    }
    return answer;
  };

  const redeem = async (request: Awaited<ReturnType<typeof authorizationRequest>>, callback: URL) =>
    oidc.authorizationCodeGrant(app.rp, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });

  it('shows /account only to a signed-in browser', async () => {
    const page = await accountPage(new BrowserSession());
    expect(page.status).toBe(200);
    expect(page.body).toContain('You are not signed in');
    expect(page.body).not.toContain('name="csrf"');
  });

  it('asks for the app code after the password and states otp and mfa in the ID token', async () => {
    const { secret } = await enrolTotp('ada');
    const { browser, request, page } = await passwordStep('ada');
    expect(page.body).toContain('autocomplete="one-time-code"');
    // The confirmation spent this step's code: the next step's is within the ±1 step window.
    const { leftTo } = await submitSecondFactor(browser, page, 'totp', await totpCode(secret, 1));
    expect(leftTo).toBeDefined();
    const tokens = await redeem(request, leftTo!);
    expect(tokens.claims()).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: ACR.multiFactor });
    const succeeded = await t.tessera.storage.outbox.listRecent({ limit: 20 });
    expect(succeeded.find((event) => event.type === 'tessera.login.succeeded')?.data).toMatchObject(
      { amr: ['pwd', 'otp', 'mfa'] },
    );
  });

  it('refuses a code already accepted once', async () => {
    const { secret } = await enrolTotp('grace');
    const code = await totpCode(secret, 1);
    const first = await passwordStep('grace');
    expect(
      (await submitSecondFactor(first.browser, first.page, 'totp', code)).leftTo,
    ).toBeDefined();
    const second = await passwordStep('grace');
    const replay = await submitSecondFactor(second.browser, second.page, 'totp', code);
    expect(replay.leftTo).toBeUndefined();
    expect(replay.page.status).toBe(400);
    expect(replay.page.body).toContain('That code is not valid.');
  });

  it('refuses the code that confirmed the app (the same step) at sign-in', async () => {
    await createUser(t, 'edsger');
    const { browser } = await signInAndRedeem(t, app, new BrowserSession(), {
      username: 'edsger',
    });
    const started = await postAccountForm(
      browser,
      await accountPage(browser),
      '/account/totp/start',
    );
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(started.page.body)![1]!;
    // Both computed now: at most one step apart, and the confirmation records the later one.
    const [now, next] = await Promise.all([totpCode(secret), totpCode(secret, 1)]);
    await postAccountForm(browser, started.page, '/account/totp/confirm', { code: next });
    const step = await passwordStep('edsger');
    const refused = await submitSecondFactor(step.browser, step.page, 'totp', now);
    expect(refused.page.status).toBe(400);
  });

  it('makes 10 recovery codes shown once, each accepted once', async () => {
    const { browser, page } = await enrolTotp('barbara');
    const generated = await postAccountForm(browser, page, '/account/recovery-codes');
    const codes = [...generated.page.body.matchAll(/<code>([A-Z2-9]{5}-[A-Z2-9]{5})<\/code>/g)].map(
      (match) => match[1]!,
    );
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const later = await accountPage(browser);
    expect(later.body).not.toContain(codes[0]);
    expect(later.body).toContain('10 unused recovery codes left.');

    const first = await passwordStep('barbara');
    const used = await submitSecondFactor(
      first.browser,
      first.page,
      'recovery_code',
      codes[0]!.toLowerCase(),
    );
    expect(used.leftTo).toBeDefined();
    const again = await passwordStep('barbara');
    const reused = await submitSecondFactor(again.browser, again.page, 'recovery_code', codes[0]!);
    expect(reused.page.status).toBe(400);
    expect((await accountPage(browser)).body).toContain('9 unused recovery codes left.');
  });

  it('checks only as many of many concurrent wrong codes as the lockout allows, then locks', async () => {
    const { secret } = await enrolTotp('katherine');
    const { browser, page } = await passwordStep('katherine');
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => submitSecondFactor(browser, page, 'totp', '000000')),
    );
    const statuses = answers.map((answer) => answer.page.status).sort();
    expect(statuses.filter((status) => status === 400)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
    const right = await submitSecondFactor(browser, page, 'totp', await totpCode(secret, 1));
    expect(right.page.status).toBe(429);
    expect(right.leftTo).toBeUndefined();
    // Every refusal is counted, with its reason, like a password attempt's.
    const samples = parsePrometheusText(await (await fetch(`${t.issuer}/metrics`)).text());
    const refused = ['locked', 'throttled'].reduce(
      (sum, result) => sum + (sampleValue(samples, 'tessera_logins_total', { result }) ?? 0),
      0,
    );
    expect(refused).toBeGreaterThanOrEqual(10);
    expect(sampleValue(samples, 'tessera_logins_total', { result: 'locked' })).toBeGreaterThan(0);
  });

  it('signs in with the password alone again once the app is removed', async () => {
    const { browser, page } = await enrolTotp('frances');
    const removed = await postAccountForm(browser, page, '/account/totp/remove');
    expect(removed.page.body).toContain('No authenticator app is set up.');
    const { tokens } = await signInAndRedeem(t, app, new BrowserSession(), {
      username: 'frances',
    });
    expect(tokens.claims()).toMatchObject({ amr: ['pwd'], acr: ACR.singleFactor });
  });

  it('refuses an account form without its CSRF token', async () => {
    await createUser(t, 'radia');
    const { browser } = await signInAndRedeem(t, app, new BrowserSession(), { username: 'radia' });
    const refused = await browser.request(`${t.issuer}/account/totp/start`, {
      form: { csrf: 'forged' },
    });
    expect(refused.status).toBe(403);
    expect((await accountPage(browser)).body).toContain('No authenticator app is set up.');
  });

  it('refuses an account form posted from another site, even with its token', async () => {
    await createUser(t, 'hedy');
    const { browser } = await signInAndRedeem(t, app, new BrowserSession(), { username: 'hedy' });
    const page = await accountPage(browser);
    const refused = await browser.request(`${t.issuer}/account/totp/start`, {
      form: { csrf: formValue(page.body, 'csrf') },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(refused.status).toBe(403);
    expect((await accountPage(browser)).body).toContain('No authenticator app is set up.');
  });

  it('refuses a passkey answer the same for a credential nobody has and for a known one', async () => {
    const owner = await createUser(t, 'mary');
    await t.tessera.storage.accountFactors.insert({
      id: 'known-credential',
      accountId: owner,
      kind: 'passkey',
      name: 'Laptop',
      data: { publicKey: 'pQECAyYgASFYIA', transports: [], backupEligible: false, backedUp: false },
      counter: 0,
      createdAt: Date.now(),
      lastUsedAt: undefined,
    });
    const browser = new BrowserSession();
    const request = await authorizationRequest(app);
    const { page } = await browser.follow(request.url.href, t.issuer);
    const action = /data-action="(\/interaction\/[^"]+\/passkey)"/.exec(page.body)?.[1];
    expect(action, page.body).toBeDefined();
    const bogus = (id: string) =>
      JSON.stringify({
        id,
        rawId: id,
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
        clientExtensionResults: {},
      });
    const answers = await Promise.all(
      ['nobody-has-this-credential', 'known-credential'].map((id) =>
        browser.request(`${t.issuer}${action!}`, {
          form: { csrf: formValue(page.body, 'csrf'), response: bogus(id) },
        }),
      ),
    );
    const withoutNonce = (body: string) => body.replace(/ nonce="[^"]*"/g, '');
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('That passkey could not be used to sign in.');
    }
    expect(withoutNonce(answers[1]!.body)).toBe(withoutNonce(answers[0]!.body));
  });

  it('keeps wrong codes counted when the password is entered again', async () => {
    const { secret } = await enrolTotp('annie');
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const { browser, page } = await passwordStep('annie');
      expect((await submitSecondFactor(browser, page, 'totp', '000000')).page.status).toBe(400);
    }
    // The third wrong code reaches the lockout at 3, though the password was right each time.
    const third = await passwordStep('annie');
    expect(
      (await submitSecondFactor(third.browser, third.page, 'totp', '000000')).page.status,
    ).toBe(400);
    const right = await submitSecondFactor(
      third.browser,
      third.page,
      'totp',
      await totpCode(secret, 1),
    );
    expect(right.page.status).toBe(429);
  });
});

describe('TESSERA_MFA=required', () => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTesseraOn('sqlite', { ...CHEAP_ARGON2, TESSERA_MFA: 'required' });
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  it('makes an account without a factor set up an app at sign-in, then asks for it', async () => {
    await createUser(t, 'joan');
    const browser = new BrowserSession();
    const request = await authorizationRequest(app);
    const login = await browser.follow(request.url.href, t.issuer);
    const { page } = await submitLogin(browser, t, login.page, 'joan', PASSWORD);
    expect(page.body).toContain('<svg');
    expect(page.body).toContain('value="totp_enrolment"');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.body)![1]!;
    const action = /action="(\/interaction\/[^"]+\/second-factor)"/.exec(page.body)![1]!;
    let answer = await browser.follow(`${t.issuer}${action}`, t.issuer, {
      form: {
        csrf: formValue(page.body, 'csrf'),
        method: 'totp_enrolment',
        code: await totpCode(secret),
      },
    });
    if (!answer.leftTo) answer = await submitConsent(browser, t, answer.page);
    const tokens = await oidc.authorizationCodeGrant(app.rp, answer.leftTo!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: ACR.multiFactor });

    // The app is now the account's: the next sign-in asks for its code, not for a new app.
    const again = new BrowserSession();
    const next = await again.follow((await authorizationRequest(app)).url.href, t.issuer);
    const second = await submitLogin(again, t, next.page, 'joan', PASSWORD);
    expect(second.page.body).toContain('value="totp"');
    expect(second.page.body).not.toContain('totp_enrolment');
  });
});
