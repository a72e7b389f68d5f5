import { randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import { sendHostile, sendRawBytes } from '../helpers/hostile-requests.ts';
import { listeningUrl } from '../helpers/oauth-fixtures.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
  PASSWORD,
  registerAppClient,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const EVIL = 'evil.example';

/** Two ways a request can name another host than the issuer's. */
const HOSTILE_ORIGINS = [
  {
    name: `Host: ${EVIL}`,
    env: {},
    headers: { host: EVIL },
  },
  {
    name: `X-Forwarded-Host: ${EVIL} from a trusted proxy`,
    env: { TESSERA_ISSUER: 'https://id.example.test', TESSERA_TRUST_PROXY: 'true' },
    headers: { 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'http' },
  },
];

describe.each(HOSTILE_ORIGINS)('absolute URLs under $name', ({ env, headers }) => {
  let t: TestTessera;
  let app: AppClient;
  let base: string;

  beforeAll(async () => {
    t = await startTestTessera(env);
    base = listeningUrl(t);
    await createUser(t);
    // The https issuer is not reachable by name: its relying party is built without discovery.
    app = await registerAppClient(t, { public: true, discover: !('TESSERA_ISSUER' in env) });
  });
  afterAll(() => t.stop());

  const get = (path: string) => sendHostile(base, { path, headers });
  /** The path of a URL on the issuer, to request it from the listening port. */
  const onIssuer = (location: string) => {
    const url = new URL(location, t.issuer);
    expect(url.origin).toBe(new URL(t.issuer).origin);
    return `${base}${url.pathname}${url.search}`;
  };

  it('the discovery document names only endpoints on the issuer', async () => {
    const answer = await get('/.well-known/openid-configuration');
    expect(answer.status).toBe(200);
    const metadata = JSON.parse(answer.text) as Record<string, unknown>;
    expect(metadata.issuer).toBe(t.issuer);
    const urls = Object.entries(metadata).filter(
      ([name, value]) => typeof value === 'string' && /(_endpoint|_uri)$/.test(name),
    );
    expect(urls.map(([name]) => name)).toEqual(
      expect.arrayContaining(['authorization_endpoint', 'token_endpoint', 'jwks_uri']),
    );
    for (const [name, value] of urls) expect(value, name).toMatch(new RegExp(`^${t.issuer}/`));
    expect(answer.text).not.toContain(EVIL);
  });

  it('the authorization request, the sign-in form and the return after sign-in stay on the issuer', async () => {
    const browser = new BrowserSession(headers);
    const request = await authorizationRequest(app);
    const start = await browser.request(onIssuer(request.url.href));
    expect(start.status).toBe(303);
    const loginPage = await browser.request(onIssuer(start.headers.get('location')!));
    expect(loginPage.status).toBe(200);
    expect(loginPage.body).not.toContain(EVIL);

    const submitted = await browser.request(onIssuer(formAction(loginPage.body, '/login')), {
      form: { csrf: formValue(loginPage.body, 'csrf'), username: 'alice', password: PASSWORD },
    });
    // oidc-provider stored this URL when the authorization request arrived (its `returnTo`).
    expect(submitted.headers.get('location')).toMatch(new RegExp(`^${t.issuer}/auth/`));
  });

  it("the sign-out page's form posts to the issuer", async () => {
    const page = await new BrowserSession(headers).request(`${base}/session/end`);
    expect(page.status).toBe(200);
    expect(formAction(page.body, '/session/end/confirm')).toBe(`${t.issuer}/session/end/confirm`);
    expect(page.body).not.toContain(EVIL);
  });

  it("the admin API's OpenAPI document names the issuer as its server", async () => {
    const answer = await get('/admin/v1/openapi.json');
    expect(answer.status).toBe(200);
    const document = JSON.parse(answer.text) as { servers: { url: string }[] };
    expect(document.servers).toEqual([{ url: `${t.issuer}/admin/v1` }]);
    expect(answer.text).not.toContain(EVIL);
  });

  it('the token endpoint takes client assertions addressed to the issuer only (fast path)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const { client } = await t.tessera.clients.create({
      name: 'signer',
      metadata: {
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [jwk] },
      },
    });
    const tokenRequest = async (audience: string) => {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(client.clientId)
        .setSubject(client.clientId)
        .setAudience(audience)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(privateKey);
      return sendHostile(base, {
        method: 'POST',
        path: '/token',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }).toString(),
      });
    };

    const elsewhere = await tokenRequest(`http://${EVIL}`);
    expect(elsewhere.status).toBe(401);
    expect(JSON.parse(elsewhere.text)).toMatchObject({ error: 'invalid_client' });
    // The issuer identifier itself (draft-ietf-oauth-rfc7523bis; client-assertion-audience.test.ts).
    expect((await tokenRequest(t.issuer)).status).toBe(200);
  });
});

describe('requests naming their host ambiguously', () => {
  let t: TestTessera;
  let base: string;

  beforeAll(async () => {
    t = await startTestTessera();
    base = listeningUrl(t);
  });
  afterAll(() => t.stop());

  const raw = (requestLine: string, headerLines: string[]) =>
    sendRawBytes(base, Buffer.from([requestLine, ...headerLines].join('\r\n')));

  it.each(['/.well-known/openid-configuration', '/token', '/healthz'])(
    'refuses a request to %s with two Host headers (400)',
    async (path) => {
      const answer = await raw(`GET ${path} HTTP/1.1`, [
        `Host: ${new URL(t.issuer).host}`,
        `Host: ${EVIL}`,
      ]);
      expect(answer.status).toBe(400);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(answer.text)).toEqual({
        error: 'invalid_request',
        error_description: 'the request carries more than one Host header',
      });
      expect(answer.headers['x-request-id']).toBeTruthy();
    },
  );

  it('builds URLs from the issuer, not from an absolute-form request target', async () => {
    const answer = await raw(`GET http://${EVIL}/.well-known/openid-configuration HTTP/1.1`, [
      `Host: ${EVIL}`,
    ]);
    expect(answer.status).toBe(200);
    const metadata = JSON.parse(answer.text) as Record<string, unknown>;
    expect(metadata.token_endpoint).toBe(`${t.issuer}/token`);
  });

  it('serves a request whose Host is another name or an address (load balancer probes)', async () => {
    const answer = await sendHostile(base, { path: '/healthz', headers: { host: '10.0.0.7' } });
    expect(answer.status).toBe(200);
  });
});
