import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  basicAuth,
  postForm,
  registerClient,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://billing.example.com';

/**
 * Every bad request at the token, introspection and revocation endpoints gets a 4xx with an
 * RFC 6749 section 5.2 error body; none gets a 5xx.
 */
describe.each(STORAGE_BACKENDS)('token endpoint refusals (%s store)', (backend) => {
  let t: TestTessera;
  let client: RegisteredClient;
  let token: string;
  let auth: string;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    await t.tessera.resourceServers.create({
      audience: API,
      scopes: ['invoices:read', 'invoices:write'],
    });
    client = await registerClient(t, { scope: 'invoices:read' });
    token = `${t.issuer}/token`;
    auth = basicAuth(client.clientId, client.clientSecret);
  });
  afterAll(() => t.stop());

  const expectOAuthError = (
    result: { status: number; body: Record<string, unknown> },
    status: number,
    error: string,
  ) => {
    expect(result.status, JSON.stringify(result.body)).toBe(status);
    expect(result.body.error).toBe(error);
  };

  it('refuses a wrong secret with 401 invalid_client', async () => {
    const result = await postForm(token, 'grant_type=client_credentials', {
      authorization: basicAuth(client.clientId, 'not-the-secret'),
    });
    expectOAuthError(result, 401, 'invalid_client');
    expect(result.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('refuses an unknown client with 401 invalid_client', async () => {
    const result = await postForm(token, 'grant_type=client_credentials', {
      authorization: basicAuth('cl_unknown', client.clientSecret),
    });
    expectOAuthError(result, 401, 'invalid_client');
  });

  it('refuses an unknown grant type', async () => {
    const result = await postForm(token, 'grant_type=urn:example:magic', { authorization: auth });
    expectOAuthError(result, 400, 'unsupported_grant_type');
  });

  it('refuses a missing grant type', async () => {
    expectOAuthError(
      await postForm(token, 'scope=invoices:read', { authorization: auth }),
      400,
      'invalid_request',
    );
  });

  it('refuses a duplicated parameter', async () => {
    const result = await postForm(
      token,
      'grant_type=client_credentials&grant_type=client_credentials',
      {
        authorization: auth,
      },
    );
    expectOAuthError(result, 400, 'invalid_request');
  });

  it('refuses credentials sent two ways at once', async () => {
    const result = await postForm(
      token,
      `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.clientSecret}`,
      { authorization: auth },
    );
    expectOAuthError(result, 400, 'invalid_request');
  });

  it('refuses a body that is not form-encoded', async () => {
    const response = await fetch(token, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses a malformed Authorization header', async () => {
    expectOAuthError(
      await postForm(token, 'grant_type=client_credentials', {
        authorization: 'Basic %%%not-base64',
      }),
      400,
      'invalid_request',
    );
  });

  it('refuses an oversized body without reading it all', async () => {
    const result = await postForm(
      token,
      `grant_type=client_credentials&scope=${'a'.repeat(200_000)}`,
      {
        authorization: auth,
      },
    );
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(result.status).toBeLessThan(500);
    expect(result.body.error).toBe('invalid_request');
  });

  it('refuses an unregistered resource with invalid_target', async () => {
    const result = await postForm(
      token,
      'grant_type=client_credentials&resource=https://unknown.example.com',
      {
        authorization: auth,
      },
    );
    expectOAuthError(result, 400, 'invalid_target');
  });

  it('refuses a resource that is not an absolute URI', async () => {
    const result = await postForm(token, 'grant_type=client_credentials&resource=not-a-uri', {
      authorization: auth,
    });
    expectOAuthError(result, 400, 'invalid_target');
  });

  it('refuses a scope the client is not allowed', async () => {
    const result = await postForm(
      token,
      `grant_type=client_credentials&resource=${encodeURIComponent(API)}&scope=invoices:write`,
      { authorization: auth },
    );
    expectOAuthError(result, 400, 'invalid_scope');
  });

  it('refuses a scope the resource server does not offer', async () => {
    const other = await registerClient(t, { scope: 'invoices:read reports:read' });
    const result = await postForm(
      token,
      `grant_type=client_credentials&resource=${encodeURIComponent(API)}&scope=reports:read`,
      { authorization: basicAuth(other.clientId, other.clientSecret) },
    );
    expectOAuthError(result, 400, 'invalid_scope');
  });

  it('refuses a resource-server scope requested without a resource', async () => {
    const result = await postForm(token, 'grant_type=client_credentials&scope=invoices:read', {
      authorization: auth,
    });
    expectOAuthError(result, 400, 'invalid_scope');
    expect(String(result.body.error_description)).toContain('resource');
  });

  it('refuses the admin scope to a client that was not granted it', async () => {
    const result = await postForm(token, 'grant_type=client_credentials&scope=tessera:admin', {
      authorization: auth,
    });
    expectOAuthError(result, 400, 'invalid_scope');
  });

  it('refuses a GET on the token endpoint', async () => {
    const response = await fetch(`${token}?grant_type=client_credentials`, {
      headers: { authorization: auth },
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it('answers introspection and revocation of garbage without a 5xx', async () => {
    const introspection = await postForm(`${t.issuer}/token/introspection`, 'token=garbage', {
      authorization: auth,
    });
    expect(introspection.status).toBe(200);
    expect(introspection.body).toEqual({ active: false });
    const revocation = await postForm(`${t.issuer}/token/revocation`, 'token=garbage', {
      authorization: auth,
    });
    expect(revocation.status).toBe(200);
    expectOAuthError(
      await postForm(`${t.issuer}/token/introspection`, '', { authorization: auth }),
      400,
      'invalid_request',
    );
  });

  it("refuses to revoke another client's token", async () => {
    const issued = await postForm(token, 'grant_type=client_credentials', { authorization: auth });
    const other = await registerClient(t);
    const result = await postForm(
      `${t.issuer}/token/revocation`,
      `token=${String(issued.body.access_token)}`,
      {
        authorization: basicAuth(other.clientId, other.clientSecret),
      },
    );
    expectOAuthError(result, 400, 'unauthorized_client');
    const introspection = await postForm(
      `${t.issuer}/token/introspection`,
      `token=${String(issued.body.access_token)}`,
      {
        authorization: auth,
      },
    );
    expect(introspection.body.active).toBe(true);
  });

  it('logged no server error while refusing all of the above', () => {
    expect(t.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
