import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestClock } from '../contracts/storage-fixture.ts';
import { BrowserSession, type PageResponse } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
  PASSWORD,
  registerAppClient,
  submitLogin,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

describe.each(STORAGE_BACKENDS)('sign-in pages (%s store)', (backend) => {
  let t: TestTessera;
  let app: AppClient;
  // Tessera's own clock (throttling, lockout); oidc-provider keeps the system clock.
  const clock = createTestClock(Date.now());

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, {}, { clock });
    await createUser(t);
    const dora = await createUser(t, 'dora');
    await t.tessera.accounts.setDisabled(dora, true);
    app = await registerAppClient(t, { public: true, name: 'Photo Gallery' });
  });
  afterAll(() => t.stop());

  /** A fresh browser at the login page of a new authorization request. */
  const loginPage = async (params: Record<string, string> = {}) => {
    const browser = new BrowserSession();
    const request = await authorizationRequest(app, { params });
    const { page } = await browser.follow(request.url.href, t.issuer);
    expect(page.body).toContain('name="password"');
    return { browser, page };
  };

  const post = (browser: BrowserSession, page: PageResponse, form: Record<string, string>) =>
    browser.request(new URL(formAction(page.body, '/login'), t.issuer).href, { form });

  it('shows a sign-in form with labelled fields and the application name', async () => {
    const { page } = await loginPage();
    expect(page.status).toBe(200);
    expect(page.body).toContain('to continue to Photo Gallery');
    expect(page.body).toMatch(/<label for="username">Username<\/label>/);
    expect(page.body).toMatch(/<input id="username" name="username"/);
    expect(page.body).toMatch(/<label for="password">Password<\/label>/);
    expect(page.body).toMatch(/<input id="password" name="password" type="password"/);
    expect(page.body).toContain('<html lang="en">');
  });

  it('fills in the login_hint the application sent, escaped', async () => {
    const { page } = await loginPage({ login_hint: 'alice"><script>' });
    expect(page.body).toContain('value="alice&quot;&gt;&lt;script&gt;"');
    expect(page.body).not.toContain('<script>');
  });

  it('answers a wrong password, an unknown user and a disabled account with the same page and status', async () => {
    const { browser, page } = await loginPage();
    const csrf = formValue(page.body, 'csrf');
    const wrongPassword = await post(browser, page, {
      csrf,
      username: 'alice',
      password: 'nope nope',
    });
    const unknownUser = await post(browser, page, {
      csrf,
      username: 'mallory',
      password: PASSWORD,
    });
    const disabled = await post(browser, page, { csrf, username: 'dora', password: PASSWORD });
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.body).toContain('The username or password is incorrect.');
    // Byte for byte but the scripts' per-response CSP nonce.
    const withoutNonce = (body: string) => body.replace(/ nonce="[^"]*"/g, '');
    for (const other of [unknownUser, disabled]) {
      expect(other.status).toBe(wrongPassword.status);
      expect(withoutNonce(other.body)).toBe(withoutNonce(wrongPassword.body));
    }
  });

  it('asks for both fields when one is empty', async () => {
    const { browser, page } = await loginPage();
    const response = await post(browser, page, {
      csrf: formValue(page.body, 'csrf'),
      username: 'alice',
      password: '',
    });
    expect(response.status).toBe(400);
    expect(response.body).toContain('Enter your username and password.');
  });

  it('slows down and then locks out repeated failures, and unlock lets the person back in', async () => {
    const erinId = await createUser(t, 'erin');
    const { browser, page } = await loginPage();
    const csrf = formValue(page.body, 'csrf');
    for (let i = 0; i < 5; i += 1) {
      expect(
        (await post(browser, page, { csrf, username: 'erin', password: `bad ${i}` })).status,
      ).toBe(400);
    }
    const throttled = await post(browser, page, { csrf, username: 'erin', password: PASSWORD });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toContain(
      'Too many sign-in attempts. Wait a few minutes, then try again.',
    );
    for (let i = 5; i < 10; i += 1) {
      clock.advance(20_000);
      await post(browser, page, { csrf, username: 'erin', password: `bad ${i}` });
    }
    clock.advance(60_000);
    const locked = await post(browser, page, { csrf, username: 'erin', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect((await t.tessera.accounts.get(erinId)).lockedUntil).toBeGreaterThan(clock());

    await t.tessera.accounts.unlock(erinId);
    const { leftTo, page: next } = await submitLogin(browser, t, page, 'erin', PASSWORD);
    expect(leftTo ?? next.body.includes('/confirm"')).toBeTruthy();
  });

  it('throttles an unknown username with the same page as an existing one', async () => {
    const { browser, page } = await loginPage();
    const csrf = formValue(page.body, 'csrf');
    for (let i = 0; i < 5; i += 1)
      await post(browser, page, { csrf, username: 'nobody', password: 'x' });
    const throttled = await post(browser, page, { csrf, username: 'nobody', password: 'x' });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toContain('Too many sign-in attempts.');
  });

  it('refuses a sign-in form posted without its CSRF token', async () => {
    const { browser, page } = await loginPage();
    const response = await post(browser, page, { username: 'alice', password: PASSWORD });
    expect(response.status).toBe(403);
    expect(response.body).toContain('<h1>Sign-in could not continue</h1>');
    expect(response.body).toContain('csrf_failed');
  });

  it("refuses another interaction's CSRF token", async () => {
    const first = await loginPage();
    const second = await loginPage();
    const response = await post(second.browser, second.page, {
      csrf: formValue(first.page.body, 'csrf'),
      username: 'alice',
      password: PASSWORD,
    });
    expect(response.status).toBe(403);
  });

  it('refuses the consent and cancel forms without their CSRF token', async () => {
    const { browser, page } = await loginPage();
    const uid = /\/interaction\/([^/"]+)\/login/.exec(page.body)![1]!;
    for (const action of ['confirm', 'abort']) {
      const response = await browser.request(`${t.issuer}/interaction/${uid}/${action}`, {
        form: { csrf: 'forged' },
      });
      expect(response.status).toBe(403);
    }
  });

  it('refuses a form that is not url-encoded', async () => {
    const { browser, page } = await loginPage();
    const response = await browser.request(
      new URL(formAction(page.body, '/login'), t.issuer).href,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
    );
    expect(response.status).toBe(415);
    expect(response.body).toContain('<h1>Sign-in could not continue</h1>');
  });

  it('shows the expired-page message for an interaction this browser does not hold', async () => {
    const response = await new BrowserSession().request(`${t.issuer}/interaction/unknown-uid`);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<h1>Sign-in could not continue</h1>');
    expect(response.body).toContain('This sign-in page has expired');
    expect(response.body).toContain(`Reference: ${response.headers.get('x-request-id')}`);
    expect(response.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('keeps the session for the browser session only unless the person asks to stay signed in', async () => {
    const sessionCookie = async (remember: boolean) => {
      const { browser, page } = await loginPage();
      const { hops } = await submitLogin(
        browser,
        t,
        page,
        'bob',
        PASSWORD,
        remember ? { remember: 'yes' } : {},
      );
      return hops.flatMap((hop) => hop.setCookies).find((line) => line.startsWith('_session='));
    };
    await createUser(t, 'bob');
    expect(await sessionCookie(false)).not.toMatch(/expires=/i);
    expect(await sessionCookie(true)).toMatch(/expires=/i);
  });

  it('serves its stylesheet', async () => {
    const { page } = await loginPage();
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.body)![1]!;
    const response = await fetch(new URL(href, t.issuer));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/css');
  });

  it('counts sign-in attempts by result on /metrics', async () => {
    const { browser, page } = await loginPage();
    await post(browser, page, { csrf: formValue(page.body, 'csrf'), username: 'x', password: 'y' });
    const metrics = await (await fetch(`${t.issuer}/metrics`)).text();
    expect(metrics).toMatch(/^tessera_logins_total\{result="invalid_credentials"\} [1-9]\d*$/m);
  });
});
