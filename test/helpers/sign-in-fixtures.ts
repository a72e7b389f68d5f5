import * as oidc from 'openid-client';
import { expect } from 'vitest';

import { BrowserSession, type PageResponse } from './browser-session.ts';
import { basicAuth, postForm } from './oauth-fixtures.ts';
import type { TestTessera } from './test-tessera.ts';

export const PASSWORD = 'correct horse battery staple';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';

export interface AppClient {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly rp: oidc.Configuration;
}

/** Registers a web application that signs people in (authorization code), public or not. */
export async function registerAppClient(
  t: TestTessera,
  options: {
    public?: boolean;
    scope?: string;
    name?: string;
    redirectUris?: string[];
    metadata?: Record<string, unknown>;
    /** false: build the RP from the issuer alone, without fetching discovery (unreachable issuers). */
    discover?: boolean;
  } = {},
): Promise<AppClient> {
  const { client, secret } = await t.tessera.clients.create({
    name: options.name ?? 'Photo Gallery',
    metadata: {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: options.redirectUris ?? [REDIRECT_URI],
      post_logout_redirect_uris: [POST_LOGOUT_URI],
      token_endpoint_auth_method: options.public ? 'none' : 'client_secret_basic',
      scope: options.scope ?? 'openid profile email offline_access',
      ...options.metadata,
    },
  });
  const clientAuth = secret ? oidc.ClientSecretBasic(secret.secret) : oidc.None();
  const rp =
    options.discover === false
      ? new oidc.Configuration(
          { issuer: t.issuer, authorization_endpoint: `${t.issuer}/auth` },
          client.clientId,
          undefined,
          clientAuth,
        )
      : await oidc.discovery(new URL(t.issuer), client.clientId, undefined, clientAuth, {
          execute: [oidc.allowInsecureRequests],
        });
  return { clientId: client.clientId, clientSecret: secret?.secret, rp };
}

export async function createUser(
  t: TestTessera,
  username = 'alice',
  extra: { email?: string; name?: string } = {},
): Promise<string> {
  const account = await t.tessera.accounts.create({
    username,
    password: PASSWORD,
    email: extra.email ?? `${username}@example.com`,
    emailVerified: true,
    name: extra.name ?? 'Alice Liddell',
  });
  return account.id;
}

export interface RequestOptions {
  /** Extra or replaced authorization parameters. */
  readonly params?: Record<string, string>;
  /** Leave out code_challenge (default: S256 PKCE). */
  readonly pkce?: boolean;
  /** Leave out the nonce (it needs the openid scope). */
  readonly nonce?: boolean;
  /**
   * Push the parameters to the PAR endpoint first (RFC 9126, openid-client's
   * buildAuthorizationUrlWithPAR): the URL then carries only client_id and request_uri.
   */
  readonly pushed?: boolean;
}

/** An authorization request as openid-client builds it, with its PKCE verifier, state and nonce. */
export async function authorizationRequest(
  app: AppClient,
  options: RequestOptions = {},
): Promise<{ url: URL; verifier: string; state: string; nonce: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const build = options.pushed ? oidc.buildAuthorizationUrlWithPAR : oidc.buildAuthorizationUrl;
  const url = await build(app.rp, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    ...(options.pkce === false
      ? {}
      : {
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        }),
    state,
    ...(options.nonce === false ? {} : { nonce }),
    ...options.params,
  });
  return { url, verifier, state, nonce };
}

/** The value of a hidden input or form attribute in a page (the pages are plain HTML). */
export function formValue(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no ${name} field in the page:\n${html}`);
  return match[1]!.replaceAll('&amp;', '&').replaceAll('&quot;', '"');
}

export function formAction(html: string, endsWith: string): string {
  const match = new RegExp(`action="([^"]*${endsWith})"`).exec(html);
  if (!match) throw new Error(`no form posting to …${endsWith} in the page:\n${html}`);
  return match[1]!;
}

/** Submits the sign-in form of a login page and follows the redirects. */
export async function submitLogin(
  browser: BrowserSession,
  t: TestTessera,
  page: PageResponse,
  username: string,
  password: string,
  extra: Record<string, string> = {},
) {
  const action = new URL(formAction(page.body, '/login'), t.issuer).href;
  return browser.follow(action, t.issuer, {
    form: { csrf: formValue(page.body, 'csrf'), username, password, ...extra },
  });
}

export async function submitConsent(browser: BrowserSession, t: TestTessera, page: PageResponse) {
  const action = new URL(formAction(page.body, '/confirm'), t.issuer).href;
  return browser.follow(action, t.issuer, { form: { csrf: formValue(page.body, 'csrf') } });
}

/**
 * Runs a whole sign-in in `browser`: authorization request, login page, consent page when
 * asked, and back to the application. Returns the callback URL and the request's secrets.
 */
export async function signIn(
  t: TestTessera,
  app: AppClient,
  browser: BrowserSession,
  options: RequestOptions & { username?: string } = {},
) {
  const request = await authorizationRequest(app, options);
  let { page, leftTo } = await browser.follow(request.url.href, t.issuer);
  if (!leftTo && page.body.includes('name="password"')) {
    ({ page, leftTo } = await submitLogin(browser, t, page, options.username ?? 'alice', PASSWORD));
  }
  if (!leftTo && page.body.includes('/confirm"')) {
    ({ page, leftTo } = await submitConsent(browser, t, page));
  }
  expect(
    leftTo,
    `expected to be back at the application, got ${page.status}:\n${page.body}`,
  ).toBeDefined();
  return { ...request, callback: leftTo! };
}

/** signIn, then the code exchange by openid-client (PKCE verifier, state and nonce checked). */
export async function signInAndRedeem(
  t: TestTessera,
  app: AppClient,
  browser = new BrowserSession(),
  options: RequestOptions & { username?: string } = {},
) {
  const { callback, verifier, state, nonce } = await signIn(t, app, browser, options);
  const tokens = await oidc.authorizationCodeGrant(app.rp, callback, {
    ...(options.pkce === false ? {} : { pkceCodeVerifier: verifier }),
    expectedState: state,
    ...(options.nonce === false ? {} : { expectedNonce: nonce }),
    idTokenExpected: options.params?.scope?.split(' ').includes('openid') ?? true,
  });
  return { tokens, browser };
}

/**
 * A raw refresh-token request by `app` (its Basic credentials, or its client_id when public),
 * answered whatever the outcome: for the refusals openid-client would throw on.
 */
export function postRefresh(t: TestTessera, app: AppClient, refreshToken: string) {
  const params = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
  if (app.clientSecret === undefined) params.set('client_id', app.clientId);
  return postForm(
    `${t.issuer}/token`,
    params.toString(),
    app.clientSecret === undefined
      ? {}
      : { authorization: basicAuth(app.clientId, app.clientSecret) },
  );
}
