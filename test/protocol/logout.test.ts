import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formValue,
  POST_LOGOUT_URI,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

const OFFLINE = { params: { scope: 'openid offline_access', prompt: 'consent' } };

/** A relying party's back-channel logout endpoint on loopback, recording what it receives. */
async function startLogoutReceiver(): Promise<{
  url: string;
  received: URLSearchParams[];
  server: Server;
}> {
  const received: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(new URLSearchParams(body));
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/backchannel-logout`, received, server };
}

describe.each(STORAGE_BACKENDS)('logout (%s store)', (backend) => {
  let t: TestTessera;
  let app: AppClient;
  let aliceId: string;

  beforeAll(async () => {
    // The back-channel receiver listens on loopback, which the SSRF guard refuses by default.
    t = await startTestTesseraOn(backend, { TESSERA_FETCH_ALLOW_PRIVATE_NETWORKS: 'true' });
    aliceId = await createUser(t);
    app = await registerAppClient(t, { public: true, name: 'Photo Gallery' });
  });
  afterAll(() => t.stop());

  const endSessionUrl = (params: Record<string, string>) => {
    const url = new URL(`${t.issuer}/session/end`);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  };

  const confirmLogout = (browser: BrowserSession, confirmPage: string, logout = true) =>
    browser.follow(`${t.issuer}/session/end/confirm`, t.issuer, {
      form: { xsrf: formValue(confirmPage, 'xsrf'), ...(logout ? { logout: 'yes' } : {}) },
    });

  const promptNone = async (browser: BrowserSession) => {
    const request = await authorizationRequest(app, {
      params: { prompt: 'none', scope: 'openid' },
    });
    return (await browser.follow(request.url.href, t.issuer)).leftTo;
  };

  it('asks to confirm, ends the session and returns to the registered URI with the state', async () => {
    const { tokens, browser } = await signInAndRedeem(t, app);
    const confirm = await browser.request(
      endSessionUrl({
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: POST_LOGOUT_URI,
        state: 'after-logout',
      }),
    );
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Photo Gallery asked to sign you out.');
    expect(confirm.body).toContain('Do you want to sign out of Tessera?');

    const { leftTo } = await confirmLogout(browser, confirm.body);
    expect(leftTo?.origin + leftTo!.pathname).toBe(POST_LOGOUT_URI);
    expect(leftTo?.searchParams.get('state')).toBe('after-logout');
    expect((await promptNone(browser))?.searchParams.get('error')).toBe('login_required');
    // The session's grant ended with it: its access token no longer works.
    const userinfo = await fetch(`${t.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(401);
  });

  it('keeps offline access (refresh tokens) across a sign-out, as OIDC Core section 11 intends', async () => {
    const { tokens, browser } = await signInAndRedeem(t, app, undefined, OFFLINE);
    const confirm = await browser.request(endSessionUrl({ id_token_hint: tokens.id_token! }));
    await confirmLogout(browser, confirm.body);
    expect((await promptNone(browser))?.searchParams.get('error')).toBe('login_required');
    const refreshed = await oidc.refreshTokenGrant(app.rp, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
  });

  it('records tessera.session.ended for the account', async () => {
    const { tokens, browser } = await signInAndRedeem(t, app);
    const confirm = await browser.request(endSessionUrl({ id_token_hint: tokens.id_token! }));
    await confirmLogout(browser, confirm.body);
    const [event] = await t.tessera.storage.outbox.listRecent({
      type: 'tessera.session.ended',
      limit: 1,
    });
    expect(event).toMatchObject({
      subject: aliceId,
      data: { account_id: aliceId, client_id: app.clientId },
    });
  });

  it('shows the signed-out page when no redirect URI was given', async () => {
    const { browser } = await signInAndRedeem(t, app);
    const confirm = await browser.request(endSessionUrl({}));
    const { page, leftTo } = await confirmLogout(browser, confirm.body);
    expect(leftTo).toBeUndefined();
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>You have signed out</h1>');
  });

  it('keeps the session when the person chooses to stay signed in', async () => {
    const { tokens, browser } = await signInAndRedeem(t, app);
    const confirm = await browser.request(endSessionUrl({ id_token_hint: tokens.id_token! }));
    await confirmLogout(browser, confirm.body, false);
    expect((await promptNone(browser))?.searchParams.get('error')).not.toBe('login_required');
  });

  /** The sign-out request by GET (a link) or POST (the application's form, from its own site). */
  const requestSignOut = (
    browser: BrowserSession,
    method: 'GET' | 'POST',
    params: Record<string, string>,
  ) =>
    method === 'GET'
      ? browser.request(endSessionUrl(params), { headers: { accept: 'text/html' } })
      : browser.request(`${t.issuer}/session/end`, {
          form: params,
          headers: { accept: 'text/html', origin: new URL(POST_LOGOUT_URI).origin },
        });

  it.each(['GET', 'POST'] as const)(
    'refuses by %s a post-logout redirect URI the client did not register, saying so, without redirecting',
    async (method) => {
      const { tokens, browser } = await signInAndRedeem(t, app);
      const page = await requestSignOut(browser, method, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: 'https://evil.example/bye',
      });
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(page.body).toContain('<title>Sign-out error · Tessera</title>');
      expect(page.body).toContain('<h1>Sign-out could not continue</h1>');
      expect(page.body).toContain(
        'The application asked to send you back to an address it has not registered, so you have not been signed out.',
      );
      expect(page.body).not.toContain('evil.example');
      expect((await promptNone(browser))?.searchParams.get('code')).toEqual(expect.any(String));
    },
  );

  it.each(['GET', 'POST'] as const)(
    'refuses by %s an id_token_hint that does not verify, saying so, and keeps the session',
    async (method) => {
      const { tokens, browser } = await signInAndRedeem(t, app);
      const [header, payload, signature] = tokens.id_token!.split('.');
      // One changed signature character: the token still decodes but no longer verifies.
      const tampered = `${header}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
      const page = await requestSignOut(browser, method, {
        id_token_hint: tampered,
        post_logout_redirect_uri: POST_LOGOUT_URI,
      });
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(page.body).toContain('<h1>Sign-out could not continue</h1>');
      expect(page.body).toContain(
        'The application’s sign-out request named a sign-in that cannot be verified',
      );
      expect((await promptNone(browser))?.searchParams.get('code')).toEqual(expect.any(String));
    },
  );

  it('refuses an id_token_hint that is not a JWT with the same explanation', async () => {
    const { browser } = await signInAndRedeem(t, app);
    const page = await requestSignOut(browser, 'POST', { id_token_hint: 'not-a-jwt' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('<h1>Sign-out could not continue</h1>');
    expect(page.body).toContain(
      'The application’s sign-out request named a sign-in that cannot be verified',
    );
  });

  it('refuses a sign-out confirmation without its xsrf token', async () => {
    const { browser } = await signInAndRedeem(t, app);
    await browser.request(endSessionUrl({}));
    const page = await browser.request(`${t.issuer}/session/end/confirm`, {
      form: { logout: 'yes' },
      headers: { accept: 'text/html' },
    });
    expect(page.status).toBe(400);
    expect(page.body).toContain('This sign-out form has expired or was not sent from this page.');
    expect((await promptNone(browser))?.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('notifies a client with a back-channel logout URI, with a signed logout token', async () => {
    const receiver = await startLogoutReceiver();
    try {
      const notified = await registerAppClient(t, {
        public: true,
        name: 'Notified App',
        metadata: {
          backchannel_logout_uri: receiver.url,
          backchannel_logout_session_required: true,
        },
      });
      const { tokens, browser } = await signInAndRedeem(t, notified);
      const confirm = await browser.request(endSessionUrl({ id_token_hint: tokens.id_token! }));
      await confirmLogout(browser, confirm.body);

      expect(receiver.received).toHaveLength(1);
      const logoutToken = receiver.received[0]!.get('logout_token')!;
      const jwks = (await (await fetch(`${t.issuer}/jwks`)).json()) as JSONWebKeySet;
      const { payload, protectedHeader } = await jwtVerify(logoutToken, createLocalJWKSet(jwks), {
        issuer: t.issuer,
        audience: notified.clientId,
      });
      expect(protectedHeader.typ).toBe('logout+jwt');
      expect(payload).toMatchObject({
        sub: aliceId,
        sid: tokens.claims()!.sid,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      });
      expect(payload.nonce).toBeUndefined();
    } finally {
      receiver.server.close();
    }
  });
});
