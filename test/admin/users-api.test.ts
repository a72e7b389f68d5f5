import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { lastEventSequence } from '../helpers/outbox-events.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const PASSWORD = 'correct horse battery staple';

describe('admin API: users', () => {
  let t: TestTessera;
  let call: AdminCall;
  let counter = 0;

  beforeAll(async () => {
    // Cheapest argon2 the config allows, and a lockout after two failures, to keep tests quick.
    t = await startTestTessera({
      ...CHEAP_ARGON2,
      TESSERA_LOGIN_THROTTLE_AFTER: '2',
      TESSERA_LOGIN_LOCKOUT_AFTER: '2',
    });
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const create = (body: Record<string, unknown> = {}) =>
    call('POST', '/users', {
      body: { username: `user${(counter += 1)}`, password: PASSWORD, ...body },
    });
  const signIn = (username: string, password: string) =>
    t.tessera.accounts.authenticate({ username, password, ip: '127.0.0.1', clientId: undefined });

  it('creates a user and never returns the password', async () => {
    const response = await create({
      username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      name: 'Alice',
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      name: 'Alice',
      given_name: null,
      family_name: null,
      locale: null,
      zoneinfo: null,
      picture: null,
      disabled: false,
      locked_until: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(t.logs)).not.toContain(PASSWORD);
  });

  it('refuses a weak password and a taken username, naming the field', async () => {
    const weak = await create({ password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.field).toBe('password');
    await create({ username: 'bob' });
    const taken = await create({ username: 'bob' });
    expect(taken.status).toBe(409);
  });

  it.each([
    ['a repetitive one', 'aaaaaaaaaaaa', /^password is too predictable/],
    [
      'a sequential one',
      '1234567890',
      /^password is one of the most commonly used|^password is too predictable/,
    ],
    ['one built on the username', 'mallory1984', /^password is built on the username/],
  ])(
    'refuses %s with a 400 naming the password, without echoing it',
    async (_why, password, detail) => {
      const response = await create({ username: 'mallory', password });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        status: 400,
        code: 'validation_failed',
        field: 'password',
      });
      expect(response.body.detail).toMatch(detail);
      expect(JSON.stringify(response.body)).not.toContain(password);
    },
  );

  it('refuses a name with a text-direction override, naming the field', async () => {
    const response = await create({ name: 'Mallory \u202Enimda' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'name' });
    expect(response.body.detail).toContain('U+202E');
  });

  it('refuses a body without a password', async () => {
    const response = await call('POST', '/users', { body: { username: 'nopass' } });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('password');
  });

  it('gets a user and answers 404 for an unknown id', async () => {
    const { body: created } = await create();
    expect((await call('GET', `/users/${created.id}`)).body).toEqual(created);
    expect((await call('GET', '/users/acc_nope')).status).toBe(404);
  });

  it('lists with paging and searches by username or email', async () => {
    await create({ username: 'carol', email: 'carol@search.example' });
    await create({ username: 'dave', email: 'dave@search.example' });
    const found = await call('GET', '/users?search=search.example');
    const names = (found.body.items as { username: string }[]).map((user) => user.username);
    expect(names.sort()).toEqual(['carol', 'dave']);
    const page = await call('GET', '/users?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const next = await call('GET', `/users?limit=1&cursor=${page.body.next_cursor}`);
    expect(next.body.items[0].id > page.body.items[0].id).toBe(true);
    expect((await call('GET', '/users?limit=101')).status).toBe(400);
  });

  it('disables and enables a user, which decides whether sign-in works', async () => {
    const { body: user } = await create();
    const disabled = await call('POST', `/users/${user.id}/disable`);
    expect(disabled.body.disabled).toBe(true);
    expect((await signIn(user.username, PASSWORD)).outcome).not.toBe('success');
    const enabled = await call('POST', `/users/${user.id}/enable`);
    expect(enabled.body.disabled).toBe(false);
    expect((await signIn(user.username, PASSWORD)).outcome).toBe('success');
  });

  it('unlocks a locked-out user', async () => {
    const { body: user } = await create();
    await signIn(user.username, 'wrong password 1');
    await signIn(user.username, 'wrong password 2');
    const locked = await call('GET', `/users/${user.id}`);
    expect(locked.body.locked_until).toEqual(expect.any(String));
    const unlocked = await call('POST', `/users/${user.id}/unlock`);
    expect(unlocked.body.locked_until).toBeNull();
    expect((await signIn(user.username, PASSWORD)).outcome).toBe('success');
  });

  it('sets a password, after which only the new one signs in', async () => {
    const { body: user } = await create();
    const changed = await call('PUT', `/users/${user.id}/password`, {
      body: { password: 'a brand new passphrase' },
    });
    expect(changed.status).toBe(204);
    expect((await signIn(user.username, PASSWORD)).outcome).not.toBe('success');
    expect((await signIn(user.username, 'a brand new passphrase')).outcome).toBe('success');
    const weak = await call('PUT', `/users/${user.id}/password`, { body: { password: 'x' } });
    expect(weak.status).toBe(400);
    expect(weak.body.field).toBe('password');
  });

  /** The account's events, oldest first, as the admin API's event list shows them. */
  const eventsOf = async (id: string) => {
    const { body } = await call('GET', '/events?limit=100');
    return (body.items as { subject: string; type: string; partitionkey: string; data: object }[])
      .filter((event) => event.subject === id)
      .reverse();
  };

  it('records an event for each change, keyed by the account id, naming no secret', async () => {
    const { body: user } = await create({ username: 'evented', email: 'evented@example.com' });
    await call('POST', `/users/${user.id}/disable`);
    await call('POST', `/users/${user.id}/enable`);
    await call('POST', `/users/${user.id}/unlock`);
    await call('PUT', `/users/${user.id}/password`, { body: { password: 'another fine phrase' } });

    const events = await eventsOf(user.id);
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['tessera.account.created', { account_id: user.id, version: 1 }],
      [
        'tessera.account.updated',
        { account_id: user.id, change: 'disabled', disabled: true, version: 2 },
      ],
      [
        'tessera.account.updated',
        { account_id: user.id, change: 'enabled', disabled: false, version: 3 },
      ],
      [
        'tessera.account.updated',
        { account_id: user.id, change: 'unlocked', disabled: false, version: 4 },
      ],
      [
        'tessera.account.updated',
        { account_id: user.id, change: 'password_changed', disabled: false, version: 5 },
      ],
    ]);
    expect(events.every((event) => event.partitionkey === user.id)).toBe(true);
    const text = JSON.stringify(await t.tessera.storage.outbox.listRecent({ limit: 500 }));
    const stored = await t.tessera.storage.accounts.get(user.id);
    for (const secret of [PASSWORD, 'another fine phrase', stored!.passwordHash, 'evented']) {
      expect(text).not.toContain(secret);
    }
  });

  it('records no event for a change that fails', async () => {
    const { body: user } = await create();
    const before = await lastEventSequence(t);
    const weak = await call('PUT', `/users/${user.id}/password`, { body: { password: 'x' } });
    expect(weak.status).toBe(400);
    expect((await create({ username: user.username })).status).toBe(409);
    expect((await call('POST', '/users/acc_nope/disable')).status).toBe(404);
    expect(await lastEventSequence(t)).toBe(before);
  });

  it('answers 404 for actions on an unknown user', async () => {
    for (const verb of ['disable', 'enable', 'unlock']) {
      expect((await call('POST', `/users/acc_nope/${verb}`)).status).toBe(404);
    }
    const password = await call('PUT', '/users/acc_nope/password', {
      body: { password: PASSWORD },
    });
    expect(password.status).toBe(404);
  });
});
