import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession, type PageResponse } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
  PASSWORD,
  POST_LOGOUT_URI,
  registerAppClient,
  signInAndRedeem,
  submitLogin,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

function expectSecurePage(page: PageResponse) {
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]{24}'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).toContain("style-src 'self'");
  expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  expect(page.headers.get('cache-control')).toContain('no-store');
  // Nothing inline may run: the only scripts are Tessera's own files (the passkey buttons),
  // empty elements carrying this response's nonce.
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
  for (const [element] of page.body.matchAll(/<script[^>]*>[^<]*<\/script>|<script/gi)) {
    expect(element).toMatch(
      new RegExp(
        `^<script nonce="${nonce?.replace(/[+/=]/g, '\\$&')}" src="/assets/[a-z]+\\.js\\?v=[0-9a-f]{12}"></script>$`,
      ),
    );
  }
  return csp;
}

describe('security headers of every page', () => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTessera();
    await createUser(t);
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  const loginPage = async () => {
    const browser = new BrowserSession();
    const request = await authorizationRequest(app);
    const { page } = await browser.follow(request.url.href, t.issuer);
    return { browser, page };
  };

  it('the sign-in page, whose forms may lead only to Tessera and the application', async () => {
    const { page } = await loginPage();
    const csp = expectSecurePage(page);
    expect(csp).toContain("form-action 'self' http://127.0.0.1:9");
  });

  it('the sign-in page after a failed attempt', async () => {
    const { browser, page } = await loginPage();
    const failed = await browser.request(new URL(formAction(page.body, '/login'), t.issuer).href, {
      form: { csrf: formValue(page.body, 'csrf'), username: 'alice', password: 'wrong one' },
    });
    expectSecurePage(failed);
  });

  it('the consent page', async () => {
    const { browser, page } = await loginPage();
    const { page: consent } = await submitLogin(browser, t, page, 'alice', PASSWORD);
    expect(consent.body).toContain('/confirm"');
    expectSecurePage(consent);
  });

  it("Tessera's error page, which has no form", async () => {
    const page = await new BrowserSession().request(`${t.issuer}/interaction/nope`);
    expect(expectSecurePage(page)).toContain("form-action 'none'");
  });

  it("oidc-provider's error page", async () => {
    const request = await authorizationRequest(app, {
      params: { redirect_uri: 'https://evil.example/' },
    });
    const page = await new BrowserSession().request(request.url.href, {
      headers: { accept: 'text/html' },
    });
    expect(page.status).toBe(400);
    expect(expectSecurePage(page)).toContain("form-action 'none'");
  });

  it('the sign-out confirmation and the signed-out page', async () => {
    const { tokens, browser } = await signInAndRedeem(t, app);
    const endSession = new URL(`${t.issuer}/session/end`);
    endSession.searchParams.set('id_token_hint', tokens.id_token!);
    const confirm = await browser.request(endSession.href);
    expect(confirm.status).toBe(200);
    expect(expectSecurePage(confirm)).toContain("form-action 'self'");

    const done = await browser.follow(`${t.issuer}/session/end/confirm`, t.issuer, {
      form: { xsrf: formValue(confirm.body, 'xsrf'), logout: 'yes' },
    });
    expect(done.page.body).toContain('You have signed out');
    expectSecurePage(done.page);
  });

  it('the sign-out confirmation allows the redirect back to the application', async () => {
    const { tokens, browser } = await signInAndRedeem(t, app);
    const endSession = new URL(`${t.issuer}/session/end`);
    endSession.searchParams.set('id_token_hint', tokens.id_token!);
    endSession.searchParams.set('post_logout_redirect_uri', POST_LOGOUT_URI);
    const confirm = await browser.request(endSession.href);
    expect(expectSecurePage(confirm)).toContain("form-action 'self' http://127.0.0.1:9");
  });
});

describe('cookies when the issuer is https', () => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTessera({
      TESSERA_ISSUER: 'https://id.example.test',
      TESSERA_TRUST_PROXY: 'true',
    });
    await createUser(t);
    app = await registerAppClient(t, { public: true, discover: false });
  });
  afterAll(() => t.stop());

  it('marks the cookies Secure and HttpOnly, SameSite=None for the session and Lax for the rest', async () => {
    // The test talks to the listening port as the TLS-terminating proxy would.
    const { port } = t.tessera.server.address() as { port: number };
    const local = `http://127.0.0.1:${port}`;
    const browser = new BrowserSession({ 'x-forwarded-proto': 'https' });
    const request = await authorizationRequest(app);
    const start = await browser.request(request.url.href.replace(t.issuer, local));
    const loginUrl = new URL(start.headers.get('location')!, local).href;
    const login = await browser.request(loginUrl);
    const submitted = await browser.request(`${local}${formAction(login.body, '/login')}`, {
      form: { csrf: formValue(login.body, 'csrf'), username: 'alice', password: PASSWORD },
    });
    const resume = new URL(submitted.headers.get('location')!);
    expect(resume.protocol).toBe('https:');
    const resumed = await browser.request(`${local}${resume.pathname}`);

    const cookies = [start, login, resumed].flatMap((page) => page.setCookies);
    const names = cookies.map((line) => line.split('=')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        '__Host-tessera-interaction',
        '__Host-tessera-resume',
        '__Host-tessera-csrf',
        '__Host-tessera-session',
      ]),
    );
    for (const line of cookies) {
      expect(line).toMatch(/;\s*secure/i);
      expect(line).toMatch(/;\s*httponly/i);
      expect(line).toMatch(
        line.startsWith('__Host-tessera-session') ? /;\s*samesite=none/i : /;\s*samesite=lax/i,
      );
    }
  });
});
