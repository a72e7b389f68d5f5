import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession, type PageResponse } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
  PASSWORD,
  REDIRECT_URI,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const APPLICATION = new URL(REDIRECT_URI).origin;

/** Headers of form posts a browser refuses to be fooled by: another page sent them. */
const REFUSED = [
  {
    what: 'from another site (Sec-Fetch-Site: cross-site)',
    headers: { 'sec-fetch-site': 'cross-site', origin: APPLICATION },
  },
  {
    what: 'from a sibling subdomain (Sec-Fetch-Site: same-site)',
    headers: { 'sec-fetch-site': 'same-site', origin: 'http://app.localhost' },
  },
  { what: 'with another Origin and no Sec-Fetch-Site', headers: { origin: APPLICATION } },
  { what: 'from an opaque origin (Origin: null)', headers: { origin: 'null' } },
];

const CROSS_SITE = REFUSED[0]!.headers;

/**
 * The session cookie is SameSite=None (src/provider/provider-cookies.ts), so another site's form
 * post carries it: Tessera's own POST handlers refuse one (src/interactions/cross-site-posts.ts).
 */
describe('form posts to Tessera’s own pages from other origins', () => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTessera();
    await createUser(t);
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  const sameOrigin = () => ({ 'sec-fetch-site': 'same-origin', origin: new URL(t.issuer).origin });

  /** A browser on the sign-in page of a fresh authorization request. */
  const openSignIn = async () => {
    const browser = new BrowserSession();
    const { page } = await browser.follow((await authorizationRequest(app)).url.href, t.issuer);
    expect(page.body).toContain('name="password"');
    return { browser, page };
  };

  const postForm = (
    browser: BrowserSession,
    page: PageResponse,
    action: string,
    form: Record<string, string>,
    headers: Record<string, string>,
  ) =>
    browser.request(new URL(formAction(page.body, action), t.issuer).href, {
      form: { csrf: formValue(page.body, 'csrf'), ...form },
      headers: { accept: 'text/html', ...headers },
    });

  const signInEvents = async () =>
    (await t.tessera.storage.outbox.listRecent({ limit: 1000 })).filter((event) =>
      event.type.startsWith('tessera.login.'),
    ).length;

  const expectRefusalPage = (page: PageResponse, heading: string) => {
    expect(page.status).toBe(403);
    expect(page.headers.get('location')).toBeNull();
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain(`<h1>${heading}</h1>`);
    expect(page.body).toContain('This form was sent from another website, so it was not accepted.');
  };

  it.each(REFUSED)(
    'refuses a sign-in form post $what with a 403 page, before checking the password',
    async ({ headers }) => {
      const { browser, page } = await openSignIn();
      const before = await signInEvents();
      const refused = await postForm(
        browser,
        page,
        '/login',
        { username: 'alice', password: PASSWORD },
        headers,
      );
      expectRefusalPage(refused, 'Sign-in could not continue');
      expect(await signInEvents()).toBe(before);

      // The interaction is untouched: the same form from Tessera's own page goes on to consent.
      const accepted = await postForm(
        browser,
        page,
        '/login',
        { username: 'alice', password: PASSWORD },
        sameOrigin(),
      );
      expect(accepted.status).toBe(303);
    },
  );

  it.each([
    { what: 'from the page itself', headers: () => ({ 'sec-fetch-site': 'same-origin' }) },
    {
      what: 'the person sent (Sec-Fetch-Site: none)',
      headers: () => ({ 'sec-fetch-site': 'none' }),
    },
    {
      what: "with the issuer's Origin alone",
      headers: () => ({ origin: new URL(t.issuer).origin }),
    },
    { what: 'with neither header (its CSRF token still checked)', headers: () => ({}) },
  ])('accepts a sign-in form post $what', async ({ headers }) => {
    const { browser, page } = await openSignIn();
    const answer = await postForm(
      browser,
      page,
      '/login',
      { username: 'alice', password: PASSWORD },
      headers(),
    );
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toMatch(/\/auth\//);
  });

  it('refuses cross-site posts of the consent and cancel forms, which then still work', async () => {
    const { browser, page } = await openSignIn();
    const login = await postForm(
      browser,
      page,
      '/login',
      { username: 'alice', password: PASSWORD },
      sameOrigin(),
    );
    const { page: consent } = await browser.follow(
      new URL(login.headers.get('location')!, t.issuer).href,
      t.issuer,
    );
    expect(consent.body).toContain('/confirm"');

    expectRefusalPage(
      await postForm(browser, consent, '/confirm', {}, CROSS_SITE),
      'Sign-in could not continue',
    );
    expectRefusalPage(
      await postForm(browser, consent, '/abort', {}, CROSS_SITE),
      'Sign-in could not continue',
    );
    const allowed = await postForm(browser, consent, '/confirm', {}, sameOrigin());
    const { leftTo } = await browser.follow(
      new URL(allowed.headers.get('location')!, t.issuer).href,
      t.issuer,
    );
    expect(leftTo?.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('refuses a cross-site sign-out confirmation with the sign-out error page, keeping the session', async () => {
    const { browser } = await signInAndRedeem(t, app);
    const question = await browser.request(`${t.issuer}/session/end`);
    const confirm = (headers: Record<string, string>) =>
      browser.request(`${t.issuer}/session/end/confirm`, {
        form: { xsrf: formValue(question.body, 'xsrf'), logout: 'yes' },
        headers: { accept: 'text/html', ...headers },
      });
    const promptNone = async () => {
      const request = await authorizationRequest(app, { params: { prompt: 'none' } });
      return (await browser.follow(request.url.href, t.issuer)).leftTo;
    };

    expectRefusalPage(await confirm(CROSS_SITE), 'Sign-out could not continue');
    expect((await promptNone())?.searchParams.get('code')).toEqual(expect.any(String));

    const { leftTo, page } = await browser.follow(`${t.issuer}/session/end/confirm`, t.issuer, {
      form: { xsrf: formValue(question.body, 'xsrf'), logout: 'yes' },
    });
    expect(leftTo).toBeUndefined();
    expect(page.body).toContain('You have signed out');
    expect((await promptNone())?.searchParams.get('error')).toBe('login_required');
  });

  it('guards those paths in any case and with a trailing slash, as the routers match them', async () => {
    for (const path of [
      '/INTERACTION/some-uid/LOGIN',
      '/interaction/some-uid/confirm/',
      '/Session/End/Confirm',
      '/session/end/confirm/',
    ]) {
      const answer = await new BrowserSession().request(`${t.issuer}${path}`, {
        form: { csrf: 'x' },
        headers: { accept: 'text/html', ...CROSS_SITE },
      });
      expect(answer.status, path).toBe(403);
    }
  });
});
