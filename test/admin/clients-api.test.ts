import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { relyingParty } from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('admin API: clients', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const create = (body: Record<string, unknown>) => call('POST', '/clients', { body });

  it('registers a confidential client, returns its secret once, and the secret works', async () => {
    const response = await create({ name: 'billing', scope: 'openid' });
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toMatchObject({
      client_id: expect.stringMatching(/^cl_/),
      name: 'billing',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid',
      client_secret: expect.any(String),
      version: 1,
    });
    expect(response.body.secrets).toEqual([
      { id: expect.stringMatching(/^sec_/), created_at: expect.any(String), expires_at: null },
    ]);

    const rp = await relyingParty(t, {
      clientId: response.body.client_id,
      clientSecret: response.body.client_secret,
    });
    await expect(oidc.clientCredentialsGrant(rp, { scope: 'openid' })).resolves.toHaveProperty(
      'access_token',
    );
    const read = await call('GET', `/clients/${response.body.client_id}`);
    expect(JSON.stringify(read.body)).not.toContain(response.body.client_secret);
    expect(read.body).not.toHaveProperty('client_secret');
  });

  it('registers a public authorization-code client without a secret', async () => {
    const response = await create({
      name: 'spa',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://app.example.com/callback'],
      post_logout_redirect_uris: ['https://app.example.com/'],
      scope: 'openid offline_access',
    });
    expect(response.status).toBe(201);
    expect(response.body).not.toHaveProperty('client_secret');
    expect(response.body).toMatchObject({ response_types: ['code'], secrets: [] });
  });

  it('registers a private_key_jwt client with its public keys and no secret', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const response = await create({
      name: 'signer',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
    });
    expect(response.status).toBe(201);
    expect(response.body).not.toHaveProperty('client_secret');
    expect(response.body.jwks).toEqual({ keys: [publicJwk] });

    const withPrivate = await create({
      name: 'leaky',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'k2' }] },
    });
    expect(withPrivate.status).toBe(400);
    expect(withPrivate.body.field).toBe('jwks');

    const byUri = await create({
      name: 'remote keys',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://signer.example.com/jwks',
    });
    expect(byUri.status).toBe(201);
    expect(byUri.body.jwks_uri).toBe('https://signer.example.com/jwks');
  });

  it('names the offending field for a redirect URI oidc-provider refuses', async () => {
    const response = await create({
      name: 'bad',
      grant_types: ['authorization_code'],
      redirect_uris: ['https://app.example.com/cb#fragment'],
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'redirect_uris' });
  });

  it('refuses client_secret_jwt, naming token_endpoint_auth_method', async () => {
    const response = await create({ name: 'bad', token_endpoint_auth_method: 'client_secret_jwt' });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('token_endpoint_auth_method');
  });

  it('refuses unknown fields instead of ignoring them', async () => {
    const response = await create({ name: 'bad', redirect_uri: 'https://typo.example.com' });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('redirect_uri');
  });

  it('refuses a client name with control or text-direction characters, on create and on update', async () => {
    for (const name of ['billing\u202Eevil', 'billing\u2066', 'bill\u0000ing', 'billing\u200F']) {
      const response = await create({ name });
      expect(response.status, JSON.stringify(name)).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', field: 'name' });
    }
    const { body: created } = await create({ name: 'plain' });
    const renamed = await call('PATCH', `/clients/${created.client_id}`, {
      body: { name: 'plain\u202Dx', version: 1 },
    });
    expect(renamed.status).toBe(400);
    expect(renamed.body.field).toBe('name');
    expect((await call('GET', `/clients/${created.client_id}`)).body.name).toBe('plain');
  });

  it('refuses a body without a name', async () => {
    const response = await create({ scope: 'openid' });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('name');
  });

  it('answers 404 problem+json for an unknown client', async () => {
    const response = await call('GET', '/clients/cl_unknown');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('pages through clients with a cursor', async () => {
    for (let i = 0; i < 3; i += 1) await create({ name: `paged ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await call('GET', `/clients${query}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      const items = page.body.items as { client_id: string }[];
      seen.push(...items.map((item) => item.client_id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    const all = await call('GET', '/clients?limit=100');
    const everything = all.body.items as { client_id: string }[];
    expect(seen).toEqual(everything.map((item) => item.client_id));
  });

  it('refuses a page size above 100 and a cursor it never issued', async () => {
    expect((await call('GET', '/clients?limit=101')).body).toMatchObject({
      status: 400,
      field: 'limit',
    });
    expect((await call('GET', '/clients?cursor=%%%')).body).toMatchObject({
      status: 400,
      field: 'cursor',
    });
  });

  it('updates with If-Match, and refuses an update based on an outdated version', async () => {
    const { body: created } = await create({ name: 'versioned' });
    const path = `/clients/${created.client_id}`;
    const first = await call('PATCH', path, {
      body: { name: 'renamed' },
      headers: { 'if-match': '"1"' },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ name: 'renamed', version: 2 });
    expect(first.headers.get('etag')).toBe('"2"');

    // A second admin still holding version 1 must not overwrite the first one's change.
    const second = await call('PATCH', path, {
      body: { name: 'other name' },
      headers: { 'if-match': '"1"' },
    });
    expect(second.status).toBe(412);
    expect(second.body.code).toBe('version_mismatch');
    expect((await call('GET', path)).body.name).toBe('renamed');
  });

  it('answers an update that changes nothing with the stored client: same version, no event', async () => {
    const { body: created } = await create({ name: 'steady', scope: 'openid' });
    const path = `/clients/${created.client_id}`;
    const { body: stored } = await call('GET', path);
    for (const body of [{}, { name: 'steady' }, { scope: 'openid' }]) {
      const response = await call('PATCH', path, { body, headers: { 'if-match': '"1"' } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(stored);
      expect(response.headers.get('etag')).toBe('"1"');
    }
    const events = await t.tessera.storage.outbox.listRecent({ limit: 100 });
    expect(
      events.filter((event) => event.subject === created.client_id).map((event) => event.type),
    ).toEqual(['tessera.client.created']);
    // A stale version is still refused, even for a change that would change nothing.
    const stale = await call('PATCH', path, { body: {}, headers: { 'if-match': '"0"' } });
    expect(stale.status).toBe(412);
  });

  it('requires If-Match or a version to update (428)', async () => {
    const { body: created } = await create({ name: 'unguarded' });
    const response = await call('PATCH', `/clients/${created.client_id}`, {
      body: { name: 'x' },
    });
    expect(response.status).toBe(428);
    const withVersion = await call('PATCH', `/clients/${created.client_id}`, {
      body: { name: 'x', version: 1 },
    });
    expect(withVersion.status).toBe(200);
  });

  it('merges metadata: given fields replace, null removes', async () => {
    const { body: created } = await create({
      name: 'merge',
      scope: 'openid',
      client_uri: 'https://merge.example.com',
    });
    const response = await call('PATCH', `/clients/${created.client_id}`, {
      body: { scope: 'openid email', client_uri: null, version: 1 },
    });
    expect(response.status).toBe(200);
    expect(response.body.scope).toBe('openid email');
    expect(response.body).not.toHaveProperty('client_uri');
    expect(response.body.grant_types).toEqual(['client_credentials']);
  });

  it('refuses an update that breaks metadata validation, naming the field', async () => {
    const { body: created } = await create({ name: 'strict' });
    const response = await call('PATCH', `/clients/${created.client_id}`, {
      body: { token_endpoint_auth_method: 'none', version: 1 },
    });
    expect(response.status).toBe(400);
    expect(response.body.field).toEqual(expect.any(String));
    expect((await call('GET', `/clients/${created.client_id}`)).body.version).toBe(1);
  });

  it('deletes a client, after which it is 404', async () => {
    const { body: created } = await create({ name: 'doomed' });
    expect((await call('DELETE', `/clients/${created.client_id}`)).status).toBe(204);
    expect((await call('GET', `/clients/${created.client_id}`)).status).toBe(404);
    expect((await call('DELETE', `/clients/${created.client_id}`)).status).toBe(404);
  });

  it('refuses a delete whose If-Match names an outdated version (412) and keeps the client', async () => {
    const { body: created } = await create({ name: 'guarded' });
    const path = `/clients/${created.client_id}`;
    await call('PATCH', path, {
      body: { name: 'changed meanwhile' },
      headers: { 'if-match': '"1"' },
    });

    const stale = await call('DELETE', path, { headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ status: 412, code: 'version_mismatch' });
    expect((await call('GET', path)).body).toMatchObject({ name: 'changed meanwhile', version: 2 });
    const events = await t.tessera.storage.outbox.listRecent({ limit: 100 });
    expect(
      events.filter((event) => event.subject === created.client_id).map((event) => event.type),
    ).not.toContain('tessera.client.deleted');

    expect((await call('DELETE', path, { headers: { 'if-match': '"2"' } })).status).toBe(204);
    expect((await call('GET', path)).status).toBe(404);
  });

  it('deletes without If-Match or with If-Match: *, as before', async () => {
    const { body: plain } = await create({ name: 'plain delete' });
    expect((await call('DELETE', `/clients/${plain.client_id}`)).status).toBe(204);
    const { body: any } = await create({ name: 'any version' });
    await call('PATCH', `/clients/${any.client_id}`, { body: { name: 'v2', version: 1 } });
    const response = await call('DELETE', `/clients/${any.client_id}`, {
      headers: { 'if-match': '*' },
    });
    expect(response.status).toBe(204);
  });

  it('answers a conditional delete of an absent client 404, and a list of tags 400', async () => {
    expect(
      (await call('DELETE', '/clients/cl_absent', { headers: { 'if-match': '"1"' } })).status,
    ).toBe(404);
    expect(
      (await call('DELETE', '/clients/cl_absent', { headers: { 'if-match': 'W/"1"' } })).status,
    ).toBe(404);
    const { body: created } = await create({ name: 'two tags' });
    const response = await call('DELETE', `/clients/${created.client_id}`, {
      headers: { 'if-match': '"1", "2"' },
    });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('If-Match');
    const weak = await call('DELETE', `/clients/${created.client_id}`, {
      headers: { 'if-match': 'W/"1"' },
    });
    expect(weak.status).toBe(412);
    expect((await call('GET', `/clients/${created.client_id}`)).status).toBe(200);
  });

  it('records an event for each change', async () => {
    const { body: created } = await create({ name: 'evented' });
    await call('PATCH', `/clients/${created.client_id}`, { body: { name: 'e2', version: 1 } });
    await call('DELETE', `/clients/${created.client_id}`);
    const events = await t.tessera.storage.outbox.listRecent({ limit: 100 });
    const types = events
      .filter((event) => event.subject === created.client_id)
      .map((event) => event.type);
    expect(types).toEqual([
      'tessera.client.deleted',
      'tessera.client.updated',
      'tessera.client.created',
    ]);
  });

  it('never logs a client secret', async () => {
    const { body: created } = await create({ name: 'quiet' });
    expect(JSON.stringify(t.logs)).not.toContain(created.client_secret);
  });
});
