import type { HostileRequest } from '../../helpers/hostile-requests.ts';
import { REDIRECT_URI } from '../../helpers/sign-in-fixtures.ts';
import {
  BROWSER,
  FORM,
  HUNDRED_KB,
  JSON_TYPE,
  MEGABYTE,
  refuse,
  TEN_K_PARAMS,
  type Case,
  type Fixture,
} from './case-table.ts';

/** A browser's GET (it prefers HTML, so errors come as the human page). */
const browse =
  (path: string | ((f: Fixture) => string), headers: Record<string, string> = {}) =>
  (f: Fixture): HostileRequest => ({
    path: typeof path === 'string' ? path : path(f),
    headers: { ...BROWSER, ...headers },
  });

const submit =
  (method: string, path: string, body: string | undefined, headers: Record<string, string> = {}) =>
  (): HostileRequest => ({
    method,
    path,
    headers: { ...BROWSER, ...FORM, ...headers },
    ...(body === undefined ? {} : { body }),
  });

/** A well-formed authorization request of the web application, plus `extra`. */
const authorize = (f: Fixture, extra = '') =>
  `client_id=${f.appId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_challenge=${'c'.repeat(43)}&code_challenge_method=S256${extra}`;

const auth = (extra: string) => browse((f) => `/auth?${authorize(f, extra)}`);

export const AUTHORIZE_CASES: Case[] = [
  refuse('no parameters', 'page', browse('/auth')),
  refuse('an unknown client_id', 'page', browse('/auth?client_id=nobody&response_type=code')),
  refuse('a ..%2F client_id', 'page', browse('/auth?client_id=..%2F..%2Fetc&response_type=code')),
  refuse(
    'client_id twice',
    'page',
    browse((f) => `/auth?${authorize(f)}&client_id=${f.appId}`),
  ),
  refuse('client_id[]', 'page', browse('/auth?client_id[]=a&client_id[]=b')),
  refuse(
    'an unregistered redirect_uri',
    'page',
    browse(
      (f) => `/auth?client_id=${f.appId}&response_type=code&redirect_uri=https://evil.example/`,
    ),
  ),
  refuse(
    'redirect_uri=%ZZ',
    'page',
    browse((f) => `/auth?client_id=${f.appId}&response_type=code&redirect_uri=%ZZ`),
  ),
  // state is opaque to the server (RFC 6749 section 4.1.1): odd bytes in it are the client's.
  refuse('%ZZ in state', 'ignored', auth('&state=%ZZ')),
  refuse('%C0%AF in state', 'ignored', auth('&state=%C0%AF')),
  refuse('NUL in state', 'ignored', auth('&state=%00')),
  refuse('a 10 KB state', 'ignored', auth(`&state=${'s'.repeat(10_000)}`)),
  // Node refuses it (431) before any of Tessera runs.
  refuse('a URL over the header limit', 'ignored', () =>
    Buffer.from(`GET /auth?state=${HUNDRED_KB} HTTP/1.1\r\nhost: localhost`),
  ),
  refuse('raw non-ASCII bytes in the request line', 'ignored', () =>
    Buffer.concat([
      Buffer.from('GET /auth?state='),
      Buffer.from([0xff, 0xc0, 0xaf]),
      Buffer.from(' HTTP/1.1\r\nhost: localhost'),
    ]),
  ),
  refuse('POST with 10k parameters', 'page', (f) =>
    submit('POST', '/auth', `${authorize(f)}&${TEN_K_PARAMS}`)(),
  ),
  refuse('POST with a 1 MB body', 'page', (f) =>
    submit('POST', '/auth', `${authorize(f)}&x=${MEGABYTE}`)(),
  ),
  refuse('POST with malformed JSON', 'page', submit('POST', '/auth', '{"client_id":', JSON_TYPE)),
  refuse('PUT', 'page', (f) => ({ ...auth('')(f), method: 'PUT' })),
  refuse('response_type=token', 'redirect-error', auth('&response_type=token')),
  refuse('a garbage request object', 'redirect-error', auth('&request=a.b.c')),
  refuse(
    'a request_uri',
    'redirect-error',
    auth(`&request_uri=${encodeURIComponent('urn:ietf:params:oauth:request_uri:x')}`),
  ),
  // The claims parameter is not enabled (oidc-provider features.claimsParameter): ignored.
  refuse('malformed claims JSON', 'ignored', auth(`&claims=${encodeURIComponent('{"userinfo":')}`)),
  refuse(
    'claims with __proto__',
    'ignored',
    auth(
      `&claims=${encodeURIComponent('{"__proto__":{"admin":true},"userinfo":{"constructor":{"prototype":{}}}}')}`,
    ),
  ),
  refuse('max_age=abc', 'redirect-error', auth('&max_age=abc')),
  refuse('prompt=%00garbage', 'redirect-error', auth('&prompt=%00garbage')),
  refuse('code_challenge_method=plain', 'redirect-error', auth('&code_challenge_method=plain')),
  refuse('resource=%ZZ', 'redirect-error', auth('&resource=%ZZ')),
  refuse('scope with NUL', 'redirect-error', auth('&scope=openid%00admin')),
  refuse('a 10 KB ui_locales', 'ignored', auth(`&ui_locales=${'x-'.repeat(5000)}`)),
];

const interaction =
  (suffix = '') =>
  (f: Fixture) =>
    `/interaction/${f.uid}${suffix}`;
const withCookie = (path: string) => (f: Fixture) => browse(path, { cookie: f.cookie })(f);

/** A sign-in form post from the browser holding the live interaction. */
const login =
  (body: (f: Fixture) => string, headers: Record<string, string> = {}, suffix = '/login') =>
  (f: Fixture): HostileRequest => ({
    method: 'POST',
    path: interaction(suffix)(f),
    headers: { ...BROWSER, ...FORM, cookie: f.cookie, ...headers },
    body: body(f),
  });

export const INTERACTION_CASES: Case[] = [
  refuse('an unknown uid without a cookie', 'page', browse('/interaction/unknown-uid')),
  refuse('an unknown uid with the live cookie', 'page', withCookie('/interaction/unknown-uid')),
  refuse('uid ..', 'ignored', withCookie('/interaction/..')),
  refuse('uid with %2F', 'page', withCookie('/interaction/..%2F..%2Fadmin')),
  refuse('uid %ZZ', 'page', withCookie('/interaction/%ZZ')),
  refuse('uid %C0%AF', 'page', withCookie('/interaction/%C0%AF')),
  refuse('uid with NUL', 'page', withCookie('/interaction/a%00b')),
  refuse('a 10 KB uid', 'page', withCookie(`/interaction/${'u'.repeat(10_000)}`)),
  refuse(
    'a garbage interaction cookie',
    'page',
    browse(interaction(), { cookie: '_interaction=garbage; _interaction.sig=garbage' }),
  ),
  refuse('the cookie without its signature', 'page', (f) =>
    browse(interaction(), {
      cookie: f.cookie
        .split('; ')
        .filter((c) => !c.includes('.sig='))
        .join('; '),
    })(f),
  ),
  refuse(
    'a malformed Cookie header',
    'page',
    browse(interaction(), { cookie: ';;;==; =%ZZ; _interaction=%ZZ%C0%AF' }),
  ),
  refuse(
    'non-ASCII cookie bytes',
    'page',
    browse(interaction(), { cookie: '_interaction=\u00e9\u00ff' }),
  ),
  refuse(
    'a 10 KB cookie',
    'page',
    browse(interaction(), { cookie: `_interaction=${'k'.repeat(10_000)}` }),
  ),
  refuse('PUT on the prompt', 'page', (f) => ({
    ...withCookie(interaction()(f))(f),
    method: 'PUT',
  })),
  refuse('DELETE on login', 'page', (f) => ({
    ...withCookie(interaction('/login')(f))(f),
    method: 'DELETE',
  })),
  refuse('GET on login', 'page', (f) => withCookie(interaction('/login')(f))(f)),
  refuse('login without a body', 'page', (f) => ({
    method: 'POST',
    path: interaction('/login')(f),
    headers: { ...BROWSER, cookie: f.cookie },
  })),
  refuse(
    'login as JSON',
    'page',
    login((f) => JSON.stringify({ csrf: f.csrf, username: 'alice' }), JSON_TYPE),
  ),
  refuse(
    'login with a 1 MB form',
    'page',
    login((f) => `csrf=${f.csrf}&username=alice&password=${MEGABYTE}`),
  ),
  refuse(
    'login with 10k fields',
    'page',
    login((f) => `csrf=${f.csrf}&${TEN_K_PARAMS}`),
  ),
  refuse(
    'login without csrf',
    'page',
    login(() => 'username=alice&password=x'),
  ),
  refuse(
    'login with a garbage csrf',
    'page',
    login(() => 'csrf=%ZZ%00&username=alice&password=x'),
  ),
  refuse(
    'login with csrf[]',
    'page',
    login((f) => `csrf[]=${f.csrf}&username=alice&password=x`),
  ),
  refuse(
    'login with empty fields',
    'page',
    login((f) => `csrf=${f.csrf}&username=&password=`),
  ),
  refuse(
    'login with invalid UTF-8',
    'page',
    login((f) => `csrf=${f.csrf}&username=%C0%AF%ZZ&password=%FF%FE`),
  ),
  refuse(
    'login with NUL in the username',
    'page',
    login((f) => `csrf=${f.csrf}&username=ali%00ce&password=x`),
  ),
  refuse(
    'login with a 10 KB username',
    'page',
    login((f) => `csrf=${f.csrf}&username=${'n'.repeat(10_000)}&password=x`),
  ),
  refuse(
    'login as __proto__',
    'page',
    login((f) => `csrf=${f.csrf}&username=__proto__&password=x&__proto__=1&constructor=2`),
  ),
  refuse(
    'login with fields twice',
    'page',
    login((f) => `csrf=${f.csrf}&username=alice&username=bob&password=x&password=y`),
  ),
  refuse('login for another uid', 'page', (f) => ({
    ...login(() => `csrf=${f.csrf}&username=alice&password=x`)(f),
    path: '/interaction/other-uid/login',
  })),
  refuse(
    'login with garbage cookies',
    'page',
    login((f) => `csrf=${f.csrf}&username=alice&password=x`, {
      cookie: '_interaction=x; tessera-csrf=y',
    }),
  ),
  refuse(
    'confirm on a login prompt',
    'page',
    login((f) => `csrf=${f.csrf}`, {}, '/confirm'),
  ),
  refuse(
    'confirm without csrf',
    'page',
    login(() => '', {}, '/confirm'),
  ),
  refuse(
    'abort as text/plain',
    'page',
    login((f) => `csrf=${f.csrf}`, { 'content-type': 'text/plain' }, '/abort'),
  ),
];

export const LOGOUT_CASES: Case[] = [
  refuse('a garbage id_token_hint', 'page', browse('/session/end?id_token_hint=a.b.c')),
  refuse('an unknown client_id', 'page', browse('/session/end?client_id=..%2F..')),
  refuse(
    'an unregistered post_logout_redirect_uri',
    'page',
    browse(
      (f) => `/session/end?client_id=${f.appId}&post_logout_redirect_uri=https://evil.example/`,
    ),
  ),
  refuse(
    'post_logout_redirect_uri without a client',
    'ignored',
    browse('/session/end?post_logout_redirect_uri=https://evil.example/'),
  ),
  refuse(
    'client_id twice',
    'page',
    browse((f) => `/session/end?client_id=${f.appId}&client_id=${f.appId}`),
  ),
  refuse(
    '%ZZ and %C0%AF in the query',
    'ignored',
    browse('/session/end?state=%ZZ&ui_locales=%C0%AF'),
  ),
  refuse(
    'POST with malformed JSON',
    'page',
    submit('POST', '/session/end', '{"client_id":', JSON_TYPE),
  ),
  refuse('POST with a 1 MB form', 'page', submit('POST', '/session/end', `x=${MEGABYTE}`)),
  refuse('PUT', 'page', submit('PUT', '/session/end', undefined)),
  refuse('confirm without xsrf', 'page', submit('POST', '/session/end/confirm', 'logout=yes')),
  refuse('confirm with a garbage xsrf', 'page', (f) =>
    submit('POST', '/session/end/confirm', 'xsrf=%ZZ&logout=yes', { cookie: f.cookie })(),
  ),
  refuse(
    'confirm with xsrf twice',
    'page',
    submit('POST', '/session/end/confirm', 'xsrf=a&xsrf=b'),
  ),
  refuse(
    'confirm with a garbage session cookie',
    'page',
    submit('POST', '/session/end/confirm', 'xsrf=a', { cookie: '_session=%ZZ; _session.sig=x' }),
  ),
  refuse('confirm as GET', 'page', browse('/session/end/confirm')),
  refuse(
    'success with an unknown client',
    'ignored',
    browse('/session/end/success?client_id=%00nobody'),
  ),
];
