import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import { postForm } from '../helpers/oauth-fixtures.ts';
import {
  authorizationRequest,
  createUser,
  registerAppClient,
  signIn,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** RFC 8252 section 7.3: any port for a native client's loopback IP redirect URIs. */
describe("native clients' loopback redirect URIs", () => {
  let t: TestTessera;
  let native: AppClient;
  let web: AppClient;
  let aliceId: string;

  beforeAll(async () => {
    t = await startTestTessera();
    aliceId = await createUser(t);
    native = await registerAppClient(t, {
      public: true,
      name: 'Desktop app',
      // Development mode: production refuses the localhost one (client-security-rules.test.ts).
      redirectUris: [
        'http://127.0.0.1/cb',
        'http://[::1]:8080/cb',
        'http://127.0.0.1/q?app=1',
        'http://localhost:3000/cb',
      ],
      metadata: { application_type: 'native' },
    });
    web = await registerAppClient(t, {
      public: true,
      name: 'Web app',
      redirectUris: ['http://127.0.0.1:9/callback'],
    });
  });
  afterAll(() => t.stop());

  /** Where /auth sends the browser for this redirect_uri: a sign-in, or an error. */
  const authorize = async (app: AppClient, redirectUri: string) => {
    const { url } = await authorizationRequest(app, { params: { redirect_uri: redirectUri } });
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location') ?? '';
    return { status: response.status, location, body: await response.text() };
  };
  const startsSignIn = (answer: Awaited<ReturnType<typeof authorize>>) =>
    answer.status === 303 && answer.location.startsWith('/interaction/');
  /** oidc-provider shows a redirect_uri it will not use on its error page, never redirects to it. */
  const refusesRedirectUri = (answer: Awaited<ReturnType<typeof authorize>>) =>
    answer.status === 400 && answer.body.includes('invalid_redirect_uri');

  it('signs in with 127.0.0.1 on a port of its choosing, and redeems the code with that URI', async () => {
    const redirectUri = 'http://127.0.0.1:53123/cb';
    const { tokens } = await signInAndRedeem(t, native, new BrowserSession(), {
      params: { redirect_uri: redirectUri },
    });
    expect(tokens.claims()).toMatchObject({ sub: aliceId, aud: native.clientId });
  });

  it('binds the code to the port it was issued for', async () => {
    const { callback, verifier } = await signIn(t, native, new BrowserSession(), {
      params: { redirect_uri: 'http://127.0.0.1:53124/cb' },
    });
    expect(callback.origin).toBe('http://127.0.0.1:53124');
    const redeemed = await postForm(
      `${t.issuer}/token`,
      new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: native.clientId,
        code: callback.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: 'http://127.0.0.1/cb',
      }).toString(),
    );
    expect(redeemed.status).toBe(400);
    expect(redeemed.body).toMatchObject({ error: 'invalid_grant' });
  });

  it.each([
    ['127.0.0.1 without a registered port', 'http://127.0.0.1:1/cb'],
    ['127.0.0.1 with the highest port', 'http://127.0.0.1:65535/cb'],
    ['[::1] on another port than the registered one', 'http://[::1]:53123/cb'],
    ['[::1] without a port', 'http://[::1]/cb'],
    ['a registered query, on another port', 'http://127.0.0.1:53123/q?app=1'],
  ])('accepts %s', async (_what, redirectUri) => {
    expect(startsSignIn(await authorize(native, redirectUri))).toBe(true);
  });

  it.each([
    ['another path', 'http://127.0.0.1:53123/other'],
    ['a longer path', 'http://127.0.0.1:53123/cb/more'],
    ['another query', 'http://127.0.0.1:53123/q?app=2'],
    ['an added query', 'http://127.0.0.1:53123/cb?x=1'],
    ['a registered query left out', 'http://127.0.0.1:53123/q'],
    ['a path registered only on the other loopback address', 'http://[::1]:53123/q?app=1'],
    ['https on the loopback address', 'https://127.0.0.1:53123/cb'],
    ['another spelling of the address', 'http://127.1:53123/cb'],
    ['user info before the address', 'http://x@127.0.0.1:53123/cb'],
    ['a host that starts like the address', 'http://127.0.0.1.example.com/cb'],
    ['localhost on another port (RFC 8252 section 8.3)', 'http://localhost:4000/cb'],
    ['localhost without its port', 'http://localhost/cb'],
  ])('refuses %s', async (_what, redirectUri) => {
    expect(refusesRedirectUri(await authorize(native, redirectUri))).toBe(true);
  });

  it('still takes the registered localhost URI exactly as registered', async () => {
    expect(startsSignIn(await authorize(native, 'http://localhost:3000/cb'))).toBe(true);
  });

  it("refuses another port on a web client's loopback redirect URI", async () => {
    expect(startsSignIn(await authorize(web, 'http://127.0.0.1:9/callback'))).toBe(true);
    expect(refusesRedirectUri(await authorize(web, 'http://127.0.0.1:53123/callback'))).toBe(true);
    expect(refusesRedirectUri(await authorize(web, 'http://127.0.0.1/callback'))).toBe(true);
  });
});
