import { generateKeyPairSync } from 'node:crypto';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { listeningUrl, registerClient, relyingPartyAt } from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const PRODUCTION = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  TESSERA_ISSUER: 'https://id.example.test',
  TESSERA_TRUST_PROXY: 'true',
};

const signIn = (metadata: Record<string, unknown>) => ({
  name: 'app',
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'none',
  ...metadata,
});

/** Registrations whose URIs production refuses, each with the field the refusal names. */
const HTTP_URIS = [
  {
    what: "a web client's http redirect URI",
    body: signIn({ redirect_uris: ['http://app.example.com/callback'] }),
    field: 'redirect_uris',
  },
  {
    what: "a web client's http loopback redirect URI (loopback is for native clients)",
    body: signIn({ redirect_uris: ['http://127.0.0.1:8080/callback'] }),
    field: 'redirect_uris',
  },
  {
    what: "a native client's http://localhost redirect URI (RFC 8252 section 8.3)",
    body: signIn({
      application_type: 'native',
      redirect_uris: ['http://localhost:8080/callback'],
    }),
    field: 'redirect_uris',
  },
  {
    what: "a native client's 127.1 loopback redirect URI",
    body: signIn({ application_type: 'native', redirect_uris: ['http://127.1:8080/callback'] }),
    field: 'redirect_uris',
  },
  {
    what: 'a native loopback redirect URI with user info',
    body: signIn({
      application_type: 'native',
      redirect_uris: ['http://app@127.0.0.1:8080/callback'],
    }),
    field: 'redirect_uris',
  },
  {
    what: 'an http post-logout redirect URI',
    body: signIn({
      redirect_uris: ['https://app.example.com/callback'],
      post_logout_redirect_uris: ['http://app.example.com/'],
    }),
    field: 'post_logout_redirect_uris',
  },
  {
    what: 'an http jwks_uri',
    body: {
      name: 'signer',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'http://keys.example.com/jwks',
    },
    field: 'jwks_uri',
  },
  {
    what: 'an http back-channel logout URI',
    body: signIn({
      redirect_uris: ['https://app.example.com/callback'],
      backchannel_logout_uri: 'http://app.example.com/backchannel-logout',
    }),
    field: 'backchannel_logout_uri',
  },
];

describe('client URIs in production (NODE_ENV=production)', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera(PRODUCTION);
    // The https issuer is not reachable by name: the admin talks to the listening port.
    const base = listeningUrl(t);
    const admin = await registerClient(t, { scope: 'tessera:admin', name: 'admin' });
    const rp = await relyingPartyAt(base, admin);
    const { access_token: token } = await oidc.clientCredentialsGrant(rp, {
      scope: 'tessera:admin',
    });
    call = adminClient(t, token, base);
  });
  afterAll(() => t.stop());

  it.each(HTTP_URIS)('refuses $what, naming $field', async ({ body, field }) => {
    const response = await call('POST', '/clients', { body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ code: 'validation_failed', field });
    expect(response.body.detail).toMatch(/https|localhost|native/);
  });

  it("accepts a native client's loopback redirect URIs on 127.0.0.1 and [::1] (RFC 8252 section 7.3)", async () => {
    const response = await call('POST', '/clients', {
      body: signIn({
        application_type: 'native',
        redirect_uris: [
          'http://127.0.0.1/callback',
          'http://[::1]/callback',
          'com.example.app:/cb',
        ],
        post_logout_redirect_uris: ['http://127.0.0.1/signed-out'],
      }),
    });
    expect(response.status).toBe(201);
  });

  it('accepts https URIs everywhere', async () => {
    const response = await call('POST', '/clients', {
      body: signIn({
        redirect_uris: ['https://app.example.com/callback'],
        post_logout_redirect_uris: ['https://app.example.com/'],
        backchannel_logout_uri: 'https://app.example.com/backchannel-logout',
      }),
    });
    expect(response.status).toBe(201);
  });

  it('refuses an update that adds an http redirect URI, and keeps the client as it was', async () => {
    const created = await call('POST', '/clients', {
      body: signIn({ redirect_uris: ['https://app.example.com/callback'] }),
    });
    const path = `/clients/${created.body.client_id}`;
    const patched = await call('PATCH', path, {
      body: { redirect_uris: ['http://app.example.com/callback'] },
      headers: { 'if-match': '"1"' },
    });
    expect(patched.status).toBe(400);
    expect(patched.body).toMatchObject({ code: 'validation_failed', field: 'redirect_uris' });
    const read = await call('GET', path);
    expect(read.body).toMatchObject({
      version: 1,
      redirect_uris: ['https://app.example.com/callback'],
    });
  });
});

describe('client URIs in development', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  it.each(HTTP_URIS)('accepts $what', async ({ body, field }) => {
    const response = await call('POST', '/clients', { body });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body[field]).toEqual(body[field as keyof typeof body]);
  });
});

/** A public signing key as a JWK, with the members a client would register. */
function rsaJwk(bits: number, extra: Record<string, unknown> = {}) {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { ...publicKey.export({ format: 'jwk' }), kid: `rsa-${bits}`, use: 'sig', ...extra };
}

describe('inline client keys (jwks), in any mode', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const register = (keys: Record<string, unknown>[]) =>
    call('POST', '/clients', {
      body: { name: 'signer', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys } },
    });

  it('refuses an RSA key under 2048 bits, naming jwks', async () => {
    const response = await register([rsaJwk(1024, { alg: 'RS256' })]);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'jwks' });
    expect(response.body.detail).toContain('1024-bit RSA key');
  });

  it('refuses a key for an HMAC algorithm (alg HS256)', async () => {
    const response = await register([rsaJwk(2048, { alg: 'HS256' })]);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'jwks' });
    expect(response.body.detail).toContain('HS256');
  });

  it('refuses a symmetric (oct) key', async () => {
    const response = await register([
      { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url'), kid: 'shared' },
    ]);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'jwks' });
  });

  it('accepts a 2048-bit RSA key', async () => {
    const response = await register([rsaJwk(2048, { alg: 'RS256' })]);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it('refuses an update that adds a weak key, and keeps the client as it was', async () => {
    const created = await register([rsaJwk(2048, { alg: 'RS256' })]);
    const path = `/clients/${created.body.client_id}`;
    const patched = await call('PATCH', path, {
      body: { jwks: { keys: [rsaJwk(1024)] } },
      headers: { 'if-match': '"1"' },
    });
    expect(patched.status).toBe(400);
    expect(patched.body).toMatchObject({ code: 'validation_failed', field: 'jwks' });
    expect((await call('GET', path)).body.version).toBe(1);
  });
});
