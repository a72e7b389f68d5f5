import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('admin API: events', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
    await call('POST', '/resource-servers', {
      body: { audience: 'https://events.example.com', scopes: ['e:read'] },
    });
    await call('POST', '/clients', { body: { name: 'one' } });
    await call('POST', '/clients', { body: { name: 'two' } });
  });
  afterAll(() => t.stop());

  it('lists recent events newest first as CloudEvents', async () => {
    const response = await call('GET', '/events');
    expect(response.status).toBe(200);
    const sequences = (response.body.items as { sequence: number }[]).map(
      (event) => event.sequence,
    );
    expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
    expect(response.body.items[0]).toMatchObject({
      specversion: '1.0',
      id: expect.any(String),
      source: t.issuer,
      type: 'tessera.client.created',
      subject: expect.stringMatching(/^cl_/),
      time: expect.any(String),
      datacontenttype: 'application/json',
      partitionkey: response.body.items[0].subject,
      data: { name: 'two' },
      published_at: null,
    });
  });

  it('filters by type and honours the limit', async () => {
    const response = await call('GET', '/events?type=tessera.resource_server.created&limit=5');
    expect(response.body.items).toHaveLength(1);
    expect(response.body.items[0].data.audience).toBe('https://events.example.com');
    expect((await call('GET', '/events?limit=1')).body.items).toHaveLength(1);
  });

  it('refuses an unknown type and a limit above 100', async () => {
    expect((await call('GET', '/events?type=nope')).body).toMatchObject({
      status: 400,
      field: 'type',
    });
    expect((await call('GET', '/events?limit=1000')).body).toMatchObject({
      status: 400,
      field: 'limit',
    });
  });
});
