/**
 * A person signing in through the pages, without a browser: the authorization request (code +
 * PKCE S256, `openid offline_access`, `prompt=consent`), each redirect followed, each page's
 * first form submitted (hidden fields kept, username and password filled in where the form asks
 * for a password), and the code exchanged at the token endpoint. It works on any pages whose
 * forms post back to the issuer — Tessera's own and oidc-provider's development pages — so the
 * baseline and Tessera run the same flow.
 *
 * It is a state machine (`startSignIn`, then `advanceSignIn` on each response), so the load
 * generator can drive it one request at a time on one connection.
 */
import { createHash, randomBytes } from 'node:crypto';

import { basicAuthorization, type BenchFixtures } from './fixtures.ts';

export interface FlowRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface SignInState {
  /** Who signs in: one of the fixtures' accounts (all share the fixtures' password). */
  readonly username: string;
  readonly cookies: Map<string, string>;
  readonly verifier: string;
  steps: number;
  exchanging: boolean;
}

export type SignInStep =
  | { readonly kind: 'request'; readonly request: FlowRequest }
  | { readonly kind: 'done'; readonly tokens: Record<string, unknown> }
  | { readonly kind: 'failed'; readonly reason: string };

/** More steps than any sign-in takes (8 with consent): a loop means something is wrong. */
const MAX_STEPS = 16;
const FORM = /<form\b([^>]*)>([\s\S]*?)<\/form>/i;
const INPUT = /<input\b([^>]*)>/gi;

export function startSignIn(
  fixtures: BenchFixtures,
  username = fixtures.username,
): { state: SignInState; request: FlowRequest } {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: fixtures.app.clientId,
    redirect_uri: fixtures.app.redirectUri,
    scope: 'openid offline_access',
    // OIDC Core section 11: offline_access needs a consent prompt.
    prompt: 'consent',
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const state: SignInState = {
    username,
    cookies: new Map(),
    verifier,
    steps: 1,
    exchanging: false,
  };
  return { state, request: { method: 'GET', path: `/auth?${params.toString()}`, headers: {} } };
}

/** The next request after a response (headers with lower-case names), or the outcome. */
export function advanceSignIn(
  fixtures: BenchFixtures,
  state: SignInState,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): SignInStep {
  keepCookies(state.cookies, headers['set-cookie']);
  state.steps += 1;
  if (state.steps > MAX_STEPS) return { kind: 'failed', reason: 'too many steps' };
  if (state.exchanging) {
    if (status !== 200) return { kind: 'failed', reason: `token endpoint answered ${status}` };
    return { kind: 'done', tokens: JSON.parse(body) as Record<string, unknown> };
  }
  const cookie = () => ({ cookie: [...state.cookies].map(([n, v]) => `${n}=${v}`).join('; ') });
  if (status >= 300 && status < 400) {
    const location = String(headers['location'] ?? '');
    if (location.startsWith(fixtures.app.redirectUri)) {
      const code = new URL(location).searchParams.get('code');
      if (!code) return { kind: 'failed', reason: `no code in ${location}` };
      state.exchanging = true;
      return {
        kind: 'request',
        request: {
          method: 'POST',
          path: '/token',
          headers: {
            authorization: basicAuthorization(fixtures.app.clientId, fixtures.app.clientSecret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: fixtures.app.redirectUri,
            code_verifier: state.verifier,
          }).toString(),
        },
      };
    }
    const url = new URL(location, 'http://issuer.invalid');
    return {
      kind: 'request',
      request: { method: 'GET', path: `${url.pathname}${url.search}`, headers: cookie() },
    };
  }
  const form = status === 200 ? FORM.exec(body) : null;
  if (!form) return { kind: 'failed', reason: `page answered ${status} without a form` };
  const action = attribute(form[1] ?? '', 'action');
  if (!action) return { kind: 'failed', reason: 'form without action' };
  const fields = new URLSearchParams();
  let asksPassword = false;
  for (const input of (form[2] ?? '').matchAll(INPUT)) {
    const attributes = input[1] ?? '';
    const type = attribute(attributes, 'type');
    const name = attribute(attributes, 'name');
    if (type === 'hidden' && name) fields.set(name, attribute(attributes, 'value') ?? '');
    if (type === 'password') asksPassword = true;
    // Tessera's page calls the username field `username`, oidc-provider's `login`.
    if (type === 'text' && name) fields.set(name, state.username);
  }
  if (asksPassword) fields.set('password', fixtures.password);
  return {
    kind: 'request',
    request: {
      method: 'POST',
      path: new URL(action, 'http://issuer.invalid').pathname,
      headers: { ...cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    },
  };
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(attributes);
  return match?.[1]
    ?.replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function keepCookies(jar: Map<string, string>, setCookie: string | string[] | undefined): void {
  for (const line of [setCookie ?? []].flat()) {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq < 1) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    // A cleared cookie comes back empty with an expiry in the past.
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
}

/** Runs one whole sign-in with fetch (seeding refresh tokens); returns the token response. */
export async function signInOnce(
  origin: string,
  fixtures: BenchFixtures,
  username = fixtures.username,
): Promise<Record<string, unknown>> {
  const started = startSignIn(fixtures, username);
  let request = started.request;
  for (;;) {
    const response = await fetch(`${origin}${request.path}`, {
      method: request.method,
      headers: request.headers,
      redirect: 'manual',
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const headers: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    headers['set-cookie'] = response.headers.getSetCookie();
    const step = advanceSignIn(
      fixtures,
      started.state,
      response.status,
      headers,
      await response.text(),
    );
    if (step.kind === 'done') return step.tokens;
    if (step.kind === 'failed') throw new Error(`sign-in failed: ${step.reason}`);
    request = step.request;
  }
}
