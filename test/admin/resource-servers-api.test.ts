import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { refusal, registerClient, relyingParty } from '../helpers/oauth-fixtures.ts';
import { registerAppClient } from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('admin API: resource servers', () => {
  let t: TestTessera;
  let call: AdminCall;
  let counter = 0;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const create = (body: Record<string, unknown> = {}) =>
    call('POST', '/resource-servers', {
      body: {
        audience: `https://api${(counter += 1)}.example.com`,
        scopes: ['things:read'],
        ...body,
      },
    });

  it('registers an API with format and TTL, which tokens are then issued for', async () => {
    const response = await create({
      audience: 'https://orders.example.com',
      scopes: ['orders:read', 'orders:write'],
      access_token_format: 'opaque',
      access_token_ttl: 300,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(response.body).toMatchObject({
      id: expect.stringMatching(/^rs_/),
      audience: 'https://orders.example.com',
      name: 'https://orders.example.com',
      scopes: ['orders:read', 'orders:write'],
      access_token_format: 'opaque',
      access_token_ttl: 300,
      version: 1,
    });
    const rp = await relyingParty(t, await registerClient(t, { scope: 'orders:read' }));
    const token = await oidc.clientCredentialsGrant(rp, {
      resource: 'https://orders.example.com',
      scope: 'orders:read',
    });
    expect(token.expires_in).toBe(300);
  });

  it('defaults to JWT tokens and the configured TTL', async () => {
    const response = await create();
    expect(response.body).toMatchObject({ access_token_format: 'jwt', access_token_ttl: 3600 });
  });

  it('refuses a duplicate audience with 409 naming audience', async () => {
    await create({ audience: 'https://dup.example.com' });
    const response = await create({ audience: 'https://dup.example.com' });
    expect(response.status).toBe(409);
    expect(response.body.field).toBe('audience');
  });

  it('refuses bad input, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ audience: 'not a uri' }, 'audience'],
      [{ audience: 'https://x.example.com/#frag' }, 'audience'],
      [{ scopes: [] }, 'scopes'],
      [{ scopes: ['has space'] }, 'scopes'],
      [{ access_token_format: 'paseto' }, 'access_token_format'],
      [{ access_token_ttl: 0 }, 'access_token_ttl'],
      [{ access_token_ttl: 86_401 }, 'access_token_ttl'],
      [{ require_dpop: 'yes' }, 'require_dpop'],
    ];
    for (const [body, field] of cases) {
      const response = await create(body);
      expect({ body, status: response.status, field: response.body.field }).toEqual({
        body,
        status: 400,
        field,
      });
    }
  });

  it('gets, lists with paging, and answers 404 for unknown ids', async () => {
    const { body: created } = await create();
    expect((await call('GET', `/resource-servers/${created.id}`)).body).toEqual(created);
    const page = await call('GET', '/resource-servers?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    expect((await call('GET', '/resource-servers/rs_nope')).status).toBe(404);
  });

  it('updates scopes with If-Match and refuses an outdated version', async () => {
    const { body: created } = await create();
    const path = `/resource-servers/${created.id}`;
    const updated = await call('PATCH', path, {
      body: { scopes: ['things:read', 'things:write'] },
      headers: { 'if-match': '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ scopes: ['things:read', 'things:write'], version: 2 });
    const stale = await call('PATCH', path, {
      body: { access_token_ttl: 60 },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect((await call('PATCH', path, { body: { access_token_ttl: 60 } })).status).toBe(428);
  });

  it('answers an update that changes nothing with the stored resource server: same version, no event', async () => {
    const { body: created } = await create();
    const path = `/resource-servers/${created.id}`;
    for (const body of [
      {},
      { scopes: created.scopes },
      { name: created.name },
      { introspectors: [] },
      { require_dpop: false },
    ]) {
      const response = await call('PATCH', path, { body, headers: { 'if-match': '"1"' } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(created);
      expect(response.headers.get('etag')).toBe('"1"');
    }
    const events = await t.tessera.storage.outbox.listRecent({ limit: 100 });
    expect(
      events.filter((event) => event.subject === created.id).map((event) => event.type),
    ).toEqual(['tessera.resource_server.created']);
  });

  it('refuses to change the audience', async () => {
    const { body: created } = await create();
    const response = await call('PATCH', `/resource-servers/${created.id}`, {
      body: { audience: 'https://elsewhere.example.com', version: 1 },
    });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('audience');
  });

  it('names introspectors on create and replaces them on PATCH; [] and null empty the list', async () => {
    const first = await registerClient(t, { name: 'orders api' });
    const second = await registerClient(t, { name: 'audit' });
    const { body: created } = await create({ introspectors: [first.clientId, first.clientId] });
    expect(created.introspectors).toEqual([first.clientId]);
    expect((await call('GET', `/resource-servers/${created.id}`)).body.introspectors).toEqual([
      first.clientId,
    ]);
    const path = `/resource-servers/${created.id}`;
    const replaced = await call('PATCH', path, {
      body: { introspectors: [second.clientId, first.clientId], version: 1 },
    });
    expect(replaced.body).toMatchObject({
      introspectors: [second.clientId, first.clientId],
      version: 2,
    });
    const emptied = await call('PATCH', path, { body: { introspectors: [], version: 2 } });
    expect(emptied.body).toMatchObject({ introspectors: [], version: 3 });
    await call('PATCH', path, { body: { introspectors: [first.clientId], version: 3 } });
    const nulled = await call('PATCH', path, { body: { introspectors: null, version: 4 } });
    expect(nulled.body).toMatchObject({ introspectors: [], version: 5 });
    expect((await create()).body.introspectors).toEqual([]);
  });

  it('announces the introspectors in the created and updated events', async () => {
    const api = await registerClient(t, { name: 'events api' });
    const { body: created } = await create({ introspectors: [api.clientId] });
    await call('PATCH', `/resource-servers/${created.id}`, {
      body: { introspectors: [], version: 1 },
    });
    const events = await t.tessera.storage.outbox.listRecent({ limit: 100 });
    const mine = events.filter((event) => event.subject === created.id).reverse();
    expect(mine.map((event) => [event.type, event.data['introspectors']])).toEqual([
      ['tessera.resource_server.created', [api.clientId]],
      ['tessera.resource_server.updated', []],
    ]);
  });

  it('requires DPoP when created or patched with require_dpop, and announces it in the events', async () => {
    expect((await create()).body.require_dpop).toBe(false);
    const { body: created } = await create({ require_dpop: true });
    expect(created.require_dpop).toBe(true);
    const path = `/resource-servers/${created.id}`;
    expect((await call('GET', path)).body.require_dpop).toBe(true);
    const relaxed = await call('PATCH', path, { body: { require_dpop: false, version: 1 } });
    expect(relaxed.body).toMatchObject({ require_dpop: false, version: 2 });
    const wrongType = await call('PATCH', path, { body: { require_dpop: null, version: 2 } });
    expect({ status: wrongType.status, field: wrongType.body.field }).toEqual({
      status: 400,
      field: 'require_dpop',
    });

    const events = await t.tessera.storage.outbox.listRecent({ limit: 100 });
    const mine = events.filter((event) => event.subject === created.id).reverse();
    expect(mine.map((event) => [event.type, event.data['require_dpop']])).toEqual([
      ['tessera.resource_server.created', true],
      ['tessera.resource_server.updated', false],
    ]);
  });

  it('refuses an unknown or a public client as introspector with 400 naming it, storing nothing', async () => {
    const spa = await registerAppClient(t, { public: true, name: 'spa' });
    const audience = 'https://refused-introspectors.example.com';
    const unknown = await create({ audience, introspectors: ['cl_nobody'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ field: 'introspectors', code: 'validation_failed' });
    expect(unknown.body.detail).toContain('client cl_nobody does not exist');
    const publicOne = await create({ audience, introspectors: [spa.clientId] });
    expect(publicOne.status).toBe(400);
    expect(publicOne.body.field).toBe('introspectors');
    expect(publicOne.body.detail).toContain(`client ${spa.clientId} is public`);
    expect(await t.tessera.resourceServers.findByAudience(audience)).toBeUndefined();

    const { body: created } = await create();
    const patched = await call('PATCH', `/resource-servers/${created.id}`, {
      body: { introspectors: ['cl_nobody'], version: 1 },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.detail).toContain('client cl_nobody does not exist');
    expect((await call('GET', `/resource-servers/${created.id}`)).body).toEqual(created);
  });

  it('refuses introspectors of the wrong type with 400 naming the field', async () => {
    const { body: created } = await create();
    const bad: unknown[] = ['cl_x', [42], [''], [{ id: 'cl_x' }], Array(101).fill('cl_x'), true];
    for (const introspectors of bad) {
      const posted = await create({ introspectors });
      const patched = await call('PATCH', `/resource-servers/${created.id}`, {
        body: { introspectors, version: 1 },
      });
      for (const response of [posted, patched]) {
        expect({ introspectors, status: response.status, field: response.body.field }).toEqual({
          introspectors,
          status: 400,
          field: expect.stringMatching(/^introspectors/),
        });
      }
    }
  });

  it('drops a deleted client from the introspector lists it was on', async () => {
    const kept = await registerClient(t, { name: 'kept api' });
    const leaving = await registerClient(t, { name: 'leaving api' });
    const { body: created } = await create({ introspectors: [leaving.clientId, kept.clientId] });
    expect((await call('DELETE', `/clients/${leaving.clientId}`)).status).toBe(204);
    expect((await call('GET', `/resource-servers/${created.id}`)).body).toMatchObject({
      introspectors: [kept.clientId],
      version: 1,
    });
    const listed = await call('GET', '/resource-servers?limit=100');
    const item = listed.body.items.find((server: { id: string }) => server.id === created.id);
    expect(item.introspectors).toEqual([kept.clientId]);
  });

  it('refuses a delete whose If-Match names an outdated version (412) and keeps the server', async () => {
    const { body: created } = await create();
    const path = `/resource-servers/${created.id}`;
    await call('PATCH', path, { body: { access_token_ttl: 60 }, headers: { 'if-match': '"1"' } });
    const stale = await call('DELETE', path, { headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ status: 412, code: 'version_mismatch' });
    expect((await call('GET', path)).body).toMatchObject({ access_token_ttl: 60, version: 2 });
    expect((await call('DELETE', path, { headers: { 'if-match': '"2"' } })).status).toBe(204);
    expect((await call('GET', path)).status).toBe(404);
    expect((await call('DELETE', path, { headers: { 'if-match': '"2"' } })).status).toBe(404);
  });

  it('deletes, after which its audience is an invalid target', async () => {
    const { body: created } = await create({ scopes: ['gone:read'] });
    expect((await call('DELETE', `/resource-servers/${created.id}`)).status).toBe(204);
    expect((await call('DELETE', `/resource-servers/${created.id}`)).status).toBe(404);
    const rp = await relyingParty(t, await registerClient(t, { scope: 'gone:read' }));
    expect(
      await refusal(oidc.clientCredentialsGrant(rp, { resource: created.audience })),
    ).toMatchObject({ error: 'invalid_target' });
  });
});
