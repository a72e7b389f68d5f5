import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

interface Key {
  kid: string;
  alg: string;
  state: string;
}

describe('admin API: signing keys', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const keys = async () => (await call('GET', '/keys')).body.items as Key[];
  const kids = async (state: string) =>
    (await keys()).filter((key) => key.state === state).map((key) => key.kid);

  it('lists every key with its state, current first', async () => {
    const response = await call('GET', '/keys');
    expect(response.status).toBe(200);
    const items: Key[] = response.body.items;
    expect(items.map((key) => key.state)).toEqual(['current', 'current', 'next', 'next']);
    expect(Object.keys(response.body.items[0]).sort()).toEqual([
      'activated_at',
      'alg',
      'created_at',
      'generation',
      'kid',
      'retired_at',
      'state',
    ]);
  });

  it('refuses to rotate onto keys published too recently, naming the wait (409)', async () => {
    const response = await call('POST', '/keys/rotate', { body: {} });
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/possible in \d+ s/);
  });

  it('rotates with force: the next keys sign, the current ones retire, an event is recorded', async () => {
    const next = await kids('next');
    const current = await kids('current');
    const response = await call('POST', '/keys/rotate', { body: { force: true } });
    expect(response.status).toBe(200);
    expect((await kids('current')).sort()).toEqual(next.sort());
    expect((await kids('retired')).sort()).toEqual(current.sort());
    const [event] = await t.tessera.storage.outbox.listRecent({
      type: 'tessera.keys.rotated',
      limit: 1,
    });
    expect(event).toBeDefined();
  });

  it('retires a key at once, removing it from the JWKS', async () => {
    const [retired] = await kids('retired');
    const response = await call('POST', `/keys/${retired}/retire`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ kid: retired, state: 'retired' });
    const jwks = (await (await fetch(`${t.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).not.toContain(retired);
  });

  it('refuses to retire the only current key of its algorithm (409) and unknown keys (404)', async () => {
    const [current] = await kids('current');
    expect((await call('POST', `/keys/${current}/retire`)).status).toBe(409);
    expect((await call('POST', '/keys/nope/retire')).status).toBe(404);
  });

  it('refuses a rotation body with unknown fields', async () => {
    const response = await call('POST', '/keys/rotate', { body: { forced: true } });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('forced');
  });
});
