import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { attributes, cookieName, issuerBrowser } from '../helpers/issuer-browser.ts';
import { sendHostile } from '../helpers/hostile-requests.ts';
import { listeningUrl } from '../helpers/oauth-fixtures.ts';
import {
  authorizationRequest,
  createUser,
  REDIRECT_URI,
  registerAppClient,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** What an application's page on another site sends with its form post. */
const CROSS_SITE = { origin: new URL(REDIRECT_URI).origin, 'sec-fetch-site': 'cross-site' };

const ISSUER_KINDS = [
  {
    kind: 'an https issuer',
    env: { TESSERA_ISSUER: 'https://id.example.test', TESSERA_TRUST_PROXY: 'true' },
    headers: { 'x-forwarded-proto': 'https' },
    session: '__Host-tessera-session',
    sessionAttributes: ['samesite=none', 'secure'],
    otherAttributes: ['samesite=lax', 'secure'],
    post: true,
  },
  {
    kind: 'a plain-http issuer on localhost',
    env: {},
    headers: {},
    session: '_session',
    sessionAttributes: ['samesite=none', 'secure'],
    otherAttributes: ['samesite=lax'],
    post: true,
  },
  {
    kind: 'a plain-http issuer on 127.0.0.1',
    env: { TESSERA_ISSUER: 'http://127.0.0.1:8080' },
    headers: {},
    session: '_session',
    sessionAttributes: ['samesite=none', 'secure'],
    otherAttributes: ['samesite=lax'],
    post: true,
  },
  {
    kind: 'a plain-http issuer on another host',
    env: { TESSERA_ISSUER: 'http://tessera.test:8080' },
    headers: {},
    session: '_session',
    sessionAttributes: ['samesite=lax'],
    otherAttributes: ['samesite=lax'],
    post: false,
  },
];

describe.each(ISSUER_KINDS)(
  'the cookies and POST endpoints of $kind',
  ({ env, headers, session, sessionAttributes, otherAttributes, post }) => {
    let t: TestTessera;
    let app: AppClient;

    beforeAll(async () => {
      t = await startTestTessera(env);
      await createUser(t);
      // Built from the issuer alone (two of them name no reachable host); plain http allowed.
      app = await registerAppClient(t, { public: true, discover: false });
      oidc.allowInsecureRequests(app.rp);
    });
    afterAll(() => t.stop());

    /** The authorization request as the form an application's page posts to /auth. */
    const postedAuthorization = async () => {
      const { url } = await authorizationRequest(app);
      return { action: `${t.issuer}/auth`, form: Object.fromEntries(url.searchParams) };
    };

    const expectCookieAttributes = (lines: string[]) => {
      expect(lines.map(cookieName)).toContain(session);
      for (const line of lines) {
        const attrs = attributes(line);
        expect(attrs, line).toContain('httponly');
        const expected = cookieName(line).startsWith(session) ? sessionAttributes : otherAttributes;
        for (const attribute of expected) expect(attrs, line).toContain(attribute);
        // Secure only where the table says so: a plain-http browser would drop the cookie.
        if (!expected.includes('secure')) expect(attrs, line).not.toContain('secure');
      }
    };

    if (post) {
      it('signs in from a cross-site POST at /auth, the session cookie as the table says', async () => {
        const session = issuerBrowser(t, headers);
        const { action, form } = await postedAuthorization();
        const started = await session.walk(action, form, CROSS_SITE);
        expect(started.page.body).toContain('name="password"');
        const { leftTo } = await session.signIn(app, started);
        expect(leftTo?.href).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));
        expectCookieAttributes(session.pages.flatMap((page) => page.setCookies));
      });

      it('shows the sign-out question for a cross-site POST at /session/end', async () => {
        const session = issuerBrowser(t, headers);
        await session.signIn(app);
        const { page } = await session.walk(`${t.issuer}/session/end`, {}, CROSS_SITE);
        expect(page.status).toBe(200);
        expect(page.body).toContain('Do you want to sign out of Tessera?');
      });
    } else {
      it('answers POST at /auth and /session/end with 405, saying why', async () => {
        for (const path of ['/auth', '/session/end']) {
          const answer = await sendHostile(listeningUrl(t), {
            method: 'POST',
            path,
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
            body: 'client_id=x',
          });
          expect(answer.status, path).toBe(405);
          expect(answer.headers.allow, path).toBe('GET, HEAD');
          expect(JSON.parse(answer.text), path).toEqual({
            error: 'invalid_request',
            error_description:
              'POST is not supported at this endpoint with a plain-http issuer other than localhost (it needs SameSite=None cookies, which need https)',
          });
        }
      });

      it('signs in by GET with SameSite=Lax cookies and no Secure', async () => {
        const session = issuerBrowser(t, headers);
        const { leftTo } = await session.signIn(app);
        expect(leftTo?.href).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));
        expectCookieAttributes(session.pages.flatMap((page) => page.setCookies));
      });
    }
  },
);
