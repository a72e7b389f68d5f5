import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('admin API: HTTP edges', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  it('answers 415 for a body that is not JSON', async () => {
    const response = await call('POST', '/clients', {
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
    expect(response.body.code).toBe('unsupported_media_type');
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await call('POST', '/clients', { body: '{"name":' });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('body');
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    const response = await call('POST', '/clients', { body: '[1,2]' });
    expect(response.status).toBe(400);
  });

  it('answers 400 for a JSON null body and changes nothing', async () => {
    const created = await call('POST', '/clients', { body: { name: 'null body' } });
    const path = `/clients/${created.body.client_id}`;
    const patch = await call('PATCH', path, { body: 'null', headers: { 'if-match': '"1"' } });
    expect(patch.status).toBe(400);
    expect(patch.body.field).toBe('body');
    const secret = await call('POST', `${path}/secrets`, { body: 'null' });
    expect(secret.status).toBe(400);
    const after = await call('GET', path);
    expect(after.body.version).toBe(1);
    expect(after.body.secrets).toHaveLength(1);
  });

  it('answers 413 for a body over 64 KiB and stores nothing', async () => {
    const before = (await call('GET', '/clients?limit=100')).body.items.length;
    const response = await call('POST', '/clients', {
      body: { name: 'big', contacts: ['x'.repeat(70_000)] },
    });
    expect(response.status).toBe(413);
    expect((await call('GET', '/clients?limit=100')).body.items.length).toBe(before);
  });

  it('answers 404 problem+json for an unknown admin path, never the provider', async () => {
    const response = await call('GET', '/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 405 with Allow for a method the path does not support', async () => {
    const response = await call('PUT', '/clients');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toContain('POST');
    expect(response.headers.get('allow')).toContain('GET');
  });

  it('marks every admin response no-store', async () => {
    expect((await call('GET', '/clients')).headers.get('cache-control')).toBe('no-store');
    expect((await call('GET', '/clients/none')).headers.get('cache-control')).toBe('no-store');
  });

  it('refuses unknown query parameters, naming them', async () => {
    const response = await call('GET', '/clients?serach=x');
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('serach');
  });
});
