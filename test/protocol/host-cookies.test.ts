import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession, type PageResponse } from '../helpers/browser-session.ts';
import { listeningUrl } from '../helpers/oauth-fixtures.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
  PASSWORD,
  REDIRECT_URI,
  registerAppClient,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const HTTPS_ISSUER = 'https://id.example.test';

/**
 * A browser talking to the listening port as if to the https issuer (the test plays the TLS
 * proxy): every hop on the issuer is requested from `base`; the walk stops at the application.
 */
function issuerBrowser(t: TestTessera, headers: Record<string, string> = {}) {
  const base = listeningUrl(t);
  const browser = new BrowserSession(headers);
  const pages: PageResponse[] = [];
  const local = (url: string) => {
    const parsed = new URL(url, t.issuer);
    return parsed.origin === new URL(t.issuer).origin
      ? `${base}${parsed.pathname}${parsed.search}`
      : undefined;
  };
  /** Requests `url` and follows redirects on the issuer; returns the last page and where it left. */
  const walk = async (url: string, form?: Record<string, string>) => {
    let page = await browser.request(local(url)!, form ? { form } : {});
    pages.push(page);
    for (;;) {
      const location = page.headers.get('location');
      if (page.status < 300 || page.status >= 400 || !location) return { page };
      const next = local(location);
      if (next === undefined) return { page, leftTo: new URL(location) };
      page = await browser.request(next);
      pages.push(page);
    }
  };
  /** The sign-in, then the consent when asked: back at the application. */
  const signIn = async (app: AppClient, started?: Awaited<ReturnType<typeof walk>>) => {
    let step = started ?? (await walk((await authorizationRequest(app)).url.href));
    if (step.page.body.includes('name="password"')) {
      step = await walk(formAction(step.page.body, '/login'), {
        csrf: formValue(step.page.body, 'csrf'),
        username: 'alice',
        password: PASSWORD,
      });
    }
    if (step.page.body.includes('/confirm"')) {
      step = await walk(formAction(step.page.body, '/confirm'), {
        csrf: formValue(step.page.body, 'csrf'),
      });
    }
    return step;
  };
  return { browser, pages, walk, signIn };
}

const cookieName = (line: string) => line.slice(0, line.indexOf('='));
const attributes = (line: string) =>
  line
    .split(';')
    .slice(1)
    .map((attribute) => attribute.trim().toLowerCase());

describe.each([
  {
    proxy: 'a trusted TLS proxy',
    env: { TESSERA_TRUST_PROXY: 'true' },
    headers: { 'x-forwarded-proto': 'https' },
  },
  { proxy: 'an untrusted proxy', env: {}, headers: {} },
])('cookies of an https issuer behind $proxy', ({ env, headers }) => {
  let t: TestTessera;
  let app: AppClient;
  let other: AppClient;

  beforeAll(async () => {
    t = await startTestTessera({ TESSERA_ISSUER: HTTPS_ISSUER, ...env });
    await createUser(t);
    app = await registerAppClient(t, { public: true, discover: false });
    other = await registerAppClient(t, { public: true, discover: false, name: 'Other App' });
  });
  afterAll(() => t.stop());

  it('are all __Host- cookies: Secure, Path=/ and no Domain, through a whole sign-in', async () => {
    const session = issuerBrowser(t, headers);
    const { leftTo } = await session.signIn(app);
    expect(leftTo?.href).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));

    const lines = session.pages.flatMap((page) => page.setCookies);
    expect(new Set(lines.map(cookieName))).toEqual(
      new Set([
        '__Host-tessera-interaction',
        '__Host-tessera-interaction.sig',
        '__Host-tessera-resume',
        '__Host-tessera-resume.sig',
        '__Host-tessera-csrf',
        '__Host-tessera-session',
        '__Host-tessera-session.sig',
      ]),
    );
    for (const line of lines) {
      const attrs = attributes(line);
      expect(attrs, line).toContain('secure');
      expect(attrs, line).toContain('path=/');
      expect(attrs, line).toContain('httponly');
      expect(attrs, line).toContain('samesite=lax');
      expect(
        attrs.some((attribute) => attribute.startsWith('domain')),
        line,
      ).toBe(false);
    }
  });

  it('keep sign-ins started side by side in one browser apart: each finishes on its own', async () => {
    const session = issuerBrowser(t, headers);
    // Two tabs: both authorization requests arrive before either sign-in form is sent.
    const first = await session.walk((await authorizationRequest(app)).url.href);
    const second = await session.walk((await authorizationRequest(other)).url.href);
    expect(first.page.body).toContain('name="password"');
    expect(second.page.body).toContain('name="password"');

    const firstDone = await session.signIn(app, first);
    expect(firstDone.leftTo?.searchParams.get('code')).toBeTruthy();
    // The older tab is signed in by now: only the consent for the other application is left.
    const secondDone = await session.signIn(other, second);
    expect(secondDone.leftTo?.searchParams.get('code')).toBeTruthy();
  });
});

describe('pending sign-ins of an https issuer', () => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTessera({ TESSERA_ISSUER: HTTPS_ISSUER, TESSERA_TRUST_PROXY: 'true' });
    await createUser(t);
    app = await registerAppClient(t, { public: true, discover: false });
  });
  afterAll(() => t.stop());

  it('a sign-in page answers only for an interaction this browser started', async () => {
    const owner = issuerBrowser(t);
    const { page } = await owner.walk((await authorizationRequest(app)).url.href);
    const loginUrl = owner.pages[0]!.headers.get('location')!;
    expect(page.body).toContain('name="password"');

    const stranger = issuerBrowser(t);
    await stranger.walk((await authorizationRequest(app)).url.href);
    // The stranger's own cookie lists its interaction, not the owner's.
    const { page: refused } = await stranger.walk(loginUrl);
    expect(refused.status).toBe(400);
    expect(refused.body).not.toContain('name="password"');
  });

  it('a pending-interaction cookie the browser altered is ignored (it is signed)', async () => {
    const session = issuerBrowser(t);
    const { page } = await session.walk((await authorizationRequest(app)).url.href);
    const loginUrl = new URL(session.pages[0]!.headers.get('location')!, t.issuer);
    const uid = loginUrl.pathname.split('/')[2]!;
    expect(page.body).toContain('name="password"');

    const base = listeningUrl(t);
    const cookies = session.browser.cookiesFor(`${base}/`);
    const forged = [...cookies]
      .map(([name, value]) =>
        name === '__Host-tessera-interaction' ? `${name}=other.${value}` : `${name}=${value}`,
      )
      .join('; ');
    const answer = await fetch(`${base}/interaction/${uid}`, { headers: { cookie: forged } });
    expect(answer.status).toBe(400);
    expect(await answer.text()).not.toContain('name="password"');
  });
});

describe('cookies of a plain-http development issuer', () => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTessera();
    await createUser(t);
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  it("keep oidc-provider's names and per-interaction paths, without Secure", async () => {
    const session = issuerBrowser(t);
    await session.signIn(app);
    const lines = session.pages.flatMap((page) => page.setCookies);
    const names = new Set(lines.map(cookieName));
    expect(names).toEqual(
      new Set([
        '_interaction',
        '_interaction.sig',
        '_interaction_resume',
        '_interaction_resume.sig',
        'tessera-csrf',
        '_session',
        '_session.sig',
      ]),
    );
    const interaction = lines.find((line) => cookieName(line) === '_interaction')!;
    expect(attributes(interaction).find((a) => a.startsWith('path='))).toMatch(
      /^path=\/interaction\/[\w-]+$/,
    );
    for (const line of lines) expect(attributes(line), line).not.toContain('secure');
  });
});
