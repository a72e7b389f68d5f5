import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

const PASSWORD = 'correct horse battery staple';

describe.each(STORAGE_BACKENDS)('admin API: look-alike usernames (%s)', (backend) => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, { ...CHEAP_ARGON2 });
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const create = (username: string) =>
    call('POST', '/users', { body: { username, password: PASSWORD } });

  it('refuses a username that looks like an existing one with 409, naming the field', async () => {
    expect((await create('alice')).status).toBe(201);
    // Cyrillic а, ӏ, і, с, е: one script, so only the skeleton can tell.
    for (const lookalike of ['\u0430\u04cf\u0456\u0441\u0435', 'aIice', 'a1ice']) {
      const response = await create(lookalike);
      expect(response.status, lookalike).toBe(409);
      expect(response.body).toMatchObject({ code: 'conflict', field: 'username' });
      expect(response.body.detail).toMatch(/looks too much like an existing username/);
    }
    const same = await create('ＡＬＩＣＥ');
    expect(same.status).toBe(409);
    expect(same.body.detail).toMatch(/is taken/);
  });

  it('refuses a mixed-script username with 400 before looking for look-alikes', async () => {
    const response = await create('b\u043eb');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'username' });
    expect(response.body.detail).toMatch(
      /mixes scripts \(Latin, Cyrillic\)|mixes scripts \(Cyrillic, Latin\)/,
    );
  });

  it('lets exactly one of several simultaneous creations of look-alike usernames succeed', async () => {
    // Distinct keys, one skeleton: only the store's unique index can decide between them.
    const lookalikes = ['mallory', 'MaIlory', 'ma1lory', 'mal1ory', 'mall0ry'];
    const responses = await Promise.all(lookalikes.map(create));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    // Whichever won the race (a search for "ory" would miss mall0ry, the winner in some runs).
    const listed = await call('GET', '/users?limit=100');
    const created = (listed.body.items as { username: string }[]).filter((user) =>
      lookalikes.includes(user.username),
    );
    expect(created).toHaveLength(1);
  });
});
