import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('admin API: config_key, the mark of objects tessera apply created', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  it('is recorded on a created client and resource server, shown, and kept across updates', async () => {
    const client = await call('POST', '/clients', { body: { name: 'web', config_key: 'web' } });
    expect(client.body.config_key).toBe('web');
    const server = await call('POST', '/resource-servers', {
      body: { audience: 'https://keyed.example.com', scopes: ['a'], config_key: 'orders' },
    });
    expect(server.body.config_key).toBe('orders');

    const patched = await call('PATCH', `/clients/${client.body.client_id}`, {
      body: { name: 'web 2', version: 1 },
    });
    expect(patched.body).toMatchObject({ name: 'web 2', config_key: 'web', version: 2 });
    const list = await call('GET', '/resource-servers');
    expect(list.body.items).toEqual([expect.objectContaining({ config_key: 'orders' })]);
  });

  it('is absent on objects made without it, and cannot be changed afterwards', async () => {
    const client = await call('POST', '/clients', { body: { name: 'by hand' } });
    expect(client.body).not.toHaveProperty('config_key');
    const patched = await call('PATCH', `/clients/${client.body.client_id}`, {
      body: { config_key: 'adopted', version: 1 },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.field).toBe('config_key');
  });

  it('gives a config_key to one client and one resource server only: a second create is a 409 naming config_key', async () => {
    const first = await call('POST', '/clients', { body: { name: 'one', config_key: 'taken' } });
    expect(first.status).toBe(201);
    const second = await call('POST', '/clients', { body: { name: 'two', config_key: 'taken' } });
    expect(second.status).toBe(409);
    expect(second.body.field).toBe('config_key');
    const server = await call('POST', '/resource-servers', {
      body: { audience: 'https://taken-1.example.com', scopes: ['a'], config_key: 'taken' },
    });
    expect(server.status).toBe(201);
    const again = await call('POST', '/resource-servers', {
      body: { audience: 'https://taken-2.example.com', scopes: ['a'], config_key: 'taken' },
    });
    expect(again.status).toBe(409);
    expect(again.body.field).toBe('config_key');
    const sameAudience = await call('POST', '/resource-servers', {
      body: { audience: 'https://taken-1.example.com', scopes: ['a'], config_key: 'fresh' },
    });
    expect(sameAudience.body.field).toBe('audience');
  });

  it('refuses a key with control characters or surrounding spaces, naming config_key', async () => {
    for (const key of ['', ' web', 'we\tb', 'x'.repeat(201)]) {
      const response = await call('POST', '/clients', { body: { name: 'bad', config_key: key } });
      expect(response.status, JSON.stringify(key)).toBe(400);
      expect(response.body.field).toBe('config_key');
    }
  });
});
