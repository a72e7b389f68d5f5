import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startCliFixture, type CliFixture } from '../helpers/cli-fixture.ts';
import { runTessera, stderrLines } from '../helpers/cli-runner.ts';
import { CHEAP_ARGON2 } from '../helpers/test-tessera.ts';

const PASSWORD = 'correct horse battery staple';
const USER_KEYS = [
  'created_at',
  'disabled',
  'email',
  'email_verified',
  'family_name',
  'given_name',
  'id',
  'locale',
  'locked_until',
  'name',
  'picture',
  'updated_at',
  'username',
  'zoneinfo',
];

describe('tessera users', () => {
  let f: CliFixture;
  const tessera = (args: string[], stdin?: string) =>
    runTessera(args, f.env, stdin === undefined ? {} : { stdin });
  const signIn = (username: string, password: string) =>
    f.t.tessera.accounts.authenticate({ username, password, ip: '127.0.0.1', clientId: undefined });

  beforeAll(async () => {
    f = await startCliFixture({
      ...CHEAP_ARGON2,
    });
  });
  afterAll(() => f.t.stop());

  it('creates a user with the password from stdin; --json has the stable shape', async () => {
    const run = await tessera(
      [
        'users',
        'create',
        '--username',
        'alice',
        '--email',
        'alice@example.com',
        '--password-stdin',
        '--json',
      ],
      `${PASSWORD}\n`,
    );
    expect(run.code).toBe(0);
    expect(Object.keys(run.json()).sort()).toEqual(USER_KEYS);
    expect(run.json()).toMatchObject({ username: 'alice', email: 'alice@example.com' });
    // The trailing newline is not part of the password.
    expect((await signIn('alice', PASSWORD)).outcome).toBe('success');
  });

  it('exits 2 without --password-stdin and without a password on stdin', async () => {
    expect((await tessera(['users', 'create', '--username', 'bob'])).code).toBe(2);
    const empty = await tessera(['users', 'create', '--username', 'bob', '--password-stdin'], '');
    expect(empty.code).toBe(2);
    expect(stderrLines(empty)).toEqual(['tessera: standard input held no password']);
  });

  it('exits 1 naming the password for a weak one', async () => {
    const run = await tessera(
      ['users', 'create', '--username', 'weak', '--password-stdin'],
      'short',
    );
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([expect.stringMatching(/password.*HTTP 400/)]);
  });

  it('exits 1 printing why a predictable password is refused', async () => {
    const run = await tessera(
      ['users', 'create', '--username', 'predictable', '--password-stdin'],
      'predictable2024',
    );
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      expect.stringMatching(/password is built on the username.*HTTP 400/),
    ]);
  });

  it('lists, searches and gets users', async () => {
    await tessera(
      [
        'users',
        'create',
        '--username',
        'carol',
        '--email',
        'carol@find.example',
        '--password-stdin',
      ],
      PASSWORD,
    );
    const table = await tessera(['users', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+USERNAME\s+EMAIL\s+DISABLED\s+LOCKED_UNTIL$/,
    );
    const found = (await tessera(['users', 'list', '--search', 'find.example', '--json'])).json();
    expect(found.items.map((user: { username: string }) => user.username)).toEqual(['carol']);
    const got = await tessera(['users', 'get', found.items[0].id, '--json']);
    expect(got.json()).toEqual(found.items[0]);
    const unknown = await tessera(['users', 'get', 'acc_nope']);
    expect(unknown.code).toBe(1);
    expect(stderrLines(unknown)).toEqual([expect.stringContaining('HTTP 404')]);
  });

  it('disables, enables and unlocks a user', async () => {
    const user = (
      await tessera(
        ['users', 'create', '--username', 'dave', '--password-stdin', '--json'],
        PASSWORD,
      )
    ).json();
    expect((await tessera(['users', 'disable', user.id, '--json'])).json().disabled).toBe(true);
    expect((await signIn('dave', PASSWORD)).outcome).not.toBe('success');
    expect((await tessera(['users', 'enable', user.id, '--json'])).json().disabled).toBe(false);
    const unlocked = await tessera(['users', 'unlock', user.id, '--json']);
    expect(unlocked.json().locked_until).toBeNull();
    expect((await signIn('dave', PASSWORD)).outcome).toBe('success');
  });

  it('sets a password from stdin', async () => {
    const user = (
      await tessera(
        ['users', 'create', '--username', 'erin', '--password-stdin', '--json'],
        PASSWORD,
      )
    ).json();
    const run = await tessera(
      ['users', 'set-password', user.id, '--password-stdin', '--json'],
      'a brand new passphrase\r\n',
    );
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ id: user.id, password_changed: true });
    expect((await signIn('erin', 'a brand new passphrase')).outcome).toBe('success');
    expect((await tessera(['users', 'set-password', user.id], 'x')).code).toBe(2);
  });

  it('creates a user with profile fields, then changes and removes them (--json round trip)', async () => {
    const created = await tessera(
      [
        'users',
        'create',
        '--username',
        'frank',
        '--given-name',
        'Frank',
        '--family-name',
        'Castle',
        '--locale',
        'EN-us',
        '--zoneinfo',
        'America/New_York',
        '--picture',
        'https://pictures.example.com/frank.png',
        '--password-stdin',
        '--json',
      ],
      PASSWORD,
    );
    expect(created.code).toBe(0);
    expect(created.json()).toMatchObject({
      given_name: 'Frank',
      family_name: 'Castle',
      locale: 'en-US',
      zoneinfo: 'America/New_York',
      picture: 'https://pictures.example.com/frank.png',
    });
    const { id } = created.json();
    const updated = await tessera([
      'users',
      'update',
      id,
      '--locale',
      'fr-CA',
      '--no-picture',
      '--name',
      'Frank C.',
      '--json',
    ]);
    expect(updated.code).toBe(0);
    expect(updated.json()).toMatchObject({
      given_name: 'Frank',
      locale: 'fr-CA',
      picture: null,
      name: 'Frank C.',
    });
    expect((await tessera(['users', 'get', id, '--json'])).json()).toEqual(updated.json());
    const shown = await tessera(['users', 'get', id]);
    expect(shown.stdout).toMatch(/^given_name\s+Frank$/m);
    expect(shown.stdout).toMatch(/^picture\s+-$/m);
  });

  it('exits 1 naming the field the server refuses, and 2 for an update that changes nothing', async () => {
    const user = (
      await tessera(
        ['users', 'create', '--username', 'gina', '--password-stdin', '--json'],
        PASSWORD,
      )
    ).json();
    const badZone = await tessera(['users', 'update', user.id, '--zoneinfo', 'Nowhere/Atall']);
    expect(badZone.code).toBe(1);
    expect(stderrLines(badZone)).toEqual([expect.stringMatching(/zoneinfo.*HTTP 400/)]);
    const nothing = await tessera(['users', 'update', user.id]);
    expect(nothing.code).toBe(2);
    expect(stderrLines(nothing)).toEqual([expect.stringContaining('nothing to change')]);
    const unknown = await tessera(['users', 'update', 'acc_nope', '--locale', 'en']);
    expect(unknown.code).toBe(1);
    expect(stderrLines(unknown)).toEqual([expect.stringContaining('HTTP 404')]);
  });
});
