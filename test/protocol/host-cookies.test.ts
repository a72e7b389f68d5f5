import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { attributes, cookieName, issuerBrowser } from '../helpers/issuer-browser.ts';
import { listeningUrl } from '../helpers/oauth-fixtures.ts';
import {
  authorizationRequest,
  createUser,
  REDIRECT_URI,
  registerAppClient,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const HTTPS_ISSUER = 'https://id.example.test';

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
      // The session cookie goes with an application's cross-site POST to /auth (provider-cookies.ts).
      expect(attrs, line).toContain(
        cookieName(line).startsWith('__Host-tessera-session') ? 'samesite=none' : 'samesite=lax',
      );
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

describe('cookies of a plain-http development issuer on localhost', () => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTessera();
    await createUser(t);
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  it("keep oidc-provider's names and per-interaction paths, Secure only for the session", async () => {
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
    // http://localhost is a secure context: its SameSite=None session cookie can be Secure.
    for (const line of lines) {
      const session = cookieName(line).startsWith('_session');
      expect(attributes(line), line).toContain(session ? 'samesite=none' : 'samesite=lax');
      if (session) expect(attributes(line), line).toContain('secure');
      else expect(attributes(line), line).not.toContain('secure');
    }
  });
});
