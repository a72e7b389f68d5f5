import type { HostileRequest, RefusalShape } from '../../helpers/hostile-requests.ts';
import { REDIRECT_URI } from '../../helpers/sign-in-fixtures.ts';
import {
  base64,
  FORM,
  HUNDRED_KB,
  JSON_TYPE,
  MEGABYTE,
  refuse,
  TEN_K_PARAMS,
  type Case,
  type Fixture,
} from './case-table.ts';

/** A form POST with the client-credentials client's Basic credentials (or others). */
const post =
  (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  (f: Fixture): HostileRequest => ({
    method: 'POST',
    path,
    headers: { ...FORM, authorization: f.auth, ...headers },
    body,
  });

/** Without any client authentication. */
const anonymous = (path: string, body: string) => () => ({
  method: 'POST',
  path,
  headers: FORM,
  body,
});

/**
 * The same hostile variants against each form endpoint. `valid` is a well-formed body;
 * `junk` is how the endpoint answers a junk `scope` next to it (the token endpoint refuses the
 * scope, introspection and revocation ignore parameters they do not define, RFC 7662 section
 * 2.1, RFC 7009 section 2.1).
 */
function formEndpointCases(path: string, valid: string, junk: RefusalShape): Case[] {
  const withAuth = (method: string, body?: string) => (f: Fixture) => ({
    method,
    path,
    headers: { ...FORM, authorization: f.auth },
    ...(body === undefined ? {} : { body }),
  });
  const asJson = JSON.stringify(Object.fromEntries(new URLSearchParams(valid)));
  const basic = (credentials: string | Buffer) => ({
    authorization: `Basic ${base64(credentials)}`,
  });
  return [
    refuse('GET', 'oauth', withAuth('GET')),
    refuse('PUT', 'oauth', withAuth('PUT', valid)),
    refuse('DELETE', 'oauth', withAuth('DELETE')),
    refuse('no Content-Type', 'oauth', (f) => ({
      method: 'POST',
      path,
      headers: { authorization: f.auth },
      body: valid,
    })),
    refuse('a text/plain body', 'oauth', post(path, valid, { 'content-type': 'text/plain' })),
    refuse('a JSON body', 'oauth', post(path, asJson, JSON_TYPE)),
    refuse('a malformed JSON body', 'oauth', post(path, '{"grant_type":', JSON_TYPE)),
    refuse(
      'a form declaring another charset (read as UTF-8)',
      'ignored',
      post(path, valid, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-16' }),
    ),
    refuse('an empty body', 'oauth', post(path, '')),
    refuse('a 1 MB body', 'oauth', post(path, `${valid}&x=${MEGABYTE}`)),
    refuse('a 100 KB parameter', junk, post(path, `${valid}&scope=${HUNDRED_KB}`)),
    refuse('10k parameters', 'oauth', post(path, `${valid}&${TEN_K_PARAMS}`)),
    refuse('invalid percent-encoding %ZZ', junk, post(path, `${valid}&scope=%ZZ`)),
    refuse('overlong UTF-8 %C0%AF', junk, post(path, `${valid}&scope=%C0%AF`)),
    refuse(
      'raw invalid UTF-8 bytes',
      junk,
      post(path, Buffer.concat([Buffer.from(`${valid}&scope=`), Buffer.from([0xff, 0xfe, 0xc0])])),
    ),
    refuse('a NUL byte in a parameter', junk, post(path, `${valid}&scope=a%00b`)),
    // oidc-provider reads flat forms: `scope[]` is an unknown parameter, not an array.
    refuse('a qs-style array parameter', 'ignored', post(path, `${valid}&scope[]=a&scope[]=b`)),
    refuse('__proto__ keys', 'ignored', post(path, `${valid}&__proto__[admin]=1&__proto__=x`)),
    refuse(
      'constructor.prototype keys',
      'ignored',
      post(path, `${valid}&constructor[prototype][admin]=1`),
    ),
    refuse('Basic without a colon', 'oauth', post(path, valid, basic('no-colon-here'))),
    refuse('Basic with bad base64', 'oauth', post(path, valid, { authorization: 'Basic %%%!!' })),
    refuse('Basic with no value', 'oauth', post(path, valid, { authorization: 'Basic' })),
    refuse(
      'Basic with invalid UTF-8',
      'oauth',
      post(path, valid, basic(Buffer.from([0xff, 0x3a, 0xc0]))),
    ),
    refuse('Basic with %ZZ in the client id', 'oauth', post(path, valid, basic('%ZZ:secret'))),
    refuse(
      'Basic with a 10 KB client id',
      'oauth',
      post(path, valid, basic(`${'c'.repeat(10_000)}:s`)),
    ),
    refuse('Basic with a ..%2F client id', 'oauth', post(path, valid, basic('..%2F..%2Fadmin:s'))),
    refuse(
      'Basic with non-ASCII header bytes',
      'oauth',
      post(path, valid, { authorization: 'Basic \u00e9\u00ff' }),
    ),
    refuse(
      'Bearer instead of client auth',
      'oauth',
      post(path, valid, { authorization: 'Bearer !!x!!' }),
    ),
    refuse(
      'an unknown auth scheme',
      'oauth',
      post(path, valid, { authorization: 'Digest username="x"' }),
    ),
    refuse(
      'a 10 KB client_id without auth',
      'oauth',
      anonymous(path, `${valid}&client_id=${'d'.repeat(10_000)}&client_secret=x`),
    ),
    refuse(
      'client_id twice without auth',
      'oauth',
      anonymous(path, `${valid}&client_id=a&client_id=b`),
    ),
    refuse(
      'a garbage client_assertion',
      'oauth',
      anonymous(
        path,
        `${valid}&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=a.b.c`,
      ),
    ),
  ];
}

const redirect = `redirect_uri=${encodeURIComponent(REDIRECT_URI)}`;

export const TOKEN_CASES: Case[] = [
  ...formEndpointCases('/token', 'grant_type=client_credentials', 'oauth'),
  refuse('no grant_type', 'oauth', post('/token', 'scope=x')),
  refuse(
    'grant_type twice',
    'oauth',
    post('/token', 'grant_type=client_credentials&grant_type=refresh_token'),
  ),
  refuse('grant_type[]', 'oauth', post('/token', 'grant_type[]=client_credentials')),
  refuse('an unknown grant_type with NUL', 'oauth', post('/token', 'grant_type=urn:x:%00')),
  refuse(
    'the disabled device_code grant',
    'oauth',
    post(
      '/token',
      `grant_type=${encodeURIComponent('urn:ietf:params:oauth:grant-type:device_code')}&device_code=x`,
    ),
  ),
  // RFC 9449 section 4.3; test/protocol/dpop-bad-proofs.test.ts signs the subtler ones.
  refuse(
    'a DPoP header that is not a JWT',
    'oauth',
    post('/token', 'grant_type=client_credentials', { dpop: 'not.a.jwt' }),
  ),
  refuse(
    'an 8 KB DPoP header',
    'oauth',
    post('/token', 'grant_type=client_credentials', { dpop: 'e'.repeat(8 * 1024) }),
  ),
  refuse('resource=%ZZ', 'oauth', post('/token', 'grant_type=client_credentials&resource=%ZZ')),
  refuse(
    'two resources',
    'oauth',
    post(
      '/token',
      'grant_type=client_credentials&resource=https://a.example&resource=https://b.example',
    ),
  ),
  refuse(
    'resource=javascript:',
    'oauth',
    post('/token', 'grant_type=client_credentials&resource=javascript:alert(1)'),
  ),
  refuse(
    'a 100 KB resource',
    'oauth',
    post('/token', `grant_type=client_credentials&resource=https://${HUNDRED_KB}.example`),
  ),
  refuse(
    'authorization_code without code',
    'oauth',
    post('/token', `grant_type=authorization_code&${redirect}`),
  ),
  refuse(
    'a ..%2F code',
    'oauth',
    post('/token', `grant_type=authorization_code&code=..%2F..&${redirect}&code_verifier=x`),
  ),
  refuse(
    'a 100 KB code',
    'oauth',
    post('/token', `grant_type=authorization_code&code=${HUNDRED_KB}&${redirect}`),
  ),
  refuse(
    'code twice',
    'oauth',
    post('/token', `grant_type=authorization_code&code=a&code=b&${redirect}`),
  ),
  refuse('refresh_token missing', 'oauth', post('/token', 'grant_type=refresh_token')),
  refuse(
    'a NUL refresh_token',
    'oauth',
    post('/token', 'grant_type=refresh_token&refresh_token=%00%2F..'),
  ),
  refuse(
    'an unsigned JWT as refresh_token',
    'oauth',
    post('/token', 'grant_type=refresh_token&refresh_token=eyJhbGciOiJub25lIn0.e30.'),
  ),
];

export const INTROSPECTION_CASES: Case[] = [
  ...formEndpointCases('/token/introspection', 'token=abc', 'ignored'),
  refuse('no token', 'oauth', post('/token/introspection', 'token_type_hint=access_token')),
  refuse('token twice', 'oauth', post('/token/introspection', 'token=a&token=b')),
  refuse('no client authentication', 'oauth', anonymous('/token/introspection', 'token=abc')),
  refuse(
    'a garbage token_type_hint',
    'ignored',
    post('/token/introspection', 'token=abc&token_type_hint=%00..'),
  ),
];

export const REVOCATION_CASES: Case[] = [
  ...formEndpointCases('/token/revocation', 'token=abc', 'ignored'),
  refuse('no token', 'oauth', post('/token/revocation', '')),
  refuse('token twice', 'oauth', post('/token/revocation', 'token=a&token=b')),
  refuse('no client authentication', 'oauth', anonymous('/token/revocation', 'token=abc')),
  refuse(
    'an id_token hint',
    'ignored',
    post('/token/revocation', 'token=abc&token_type_hint=id_token'),
  ),
];

const me =
  (headers: Record<string, string>, path = '/me') =>
  () => ({ path, headers });

export const USERINFO_CASES: Case[] = [
  refuse('no token', 'oauth', me({})),
  refuse('Bearer garbage', 'oauth', me({ authorization: 'Bearer !!%ZZ' })),
  refuse('Bearer without a token', 'oauth', me({ authorization: 'Bearer' })),
  refuse('a 10 KB bearer token', 'oauth', me({ authorization: `Bearer ${'t'.repeat(10_000)}` })),
  refuse('Basic instead of Bearer', 'oauth', (f) => ({
    path: '/me',
    headers: { authorization: f.auth },
  })),
  refuse(
    'a token in header and query',
    'oauth',
    me({ authorization: 'Bearer b' }, '/me?access_token=a'),
  ),
  refuse('DELETE', 'oauth', () => ({ method: 'DELETE', path: '/me' })),
  refuse('a malformed JSON POST', 'oauth', () => ({
    method: 'POST',
    path: '/me',
    headers: JSON_TYPE,
    body: '{"access_token":',
  })),
];
