import { pbkdf2Sync, randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const PASSWORD = 'a password kept from elsewhere';

/** A pbkdf2-sha256 hash the way Keycloak stores one (base64 salt and value). */
function pbkdf2Hash(password: string, iterations = 1000) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return {
    algorithm: 'pbkdf2-sha256',
    iterations,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
  };
}

describe('admin API: users created with an imported password hash', () => {
  let t: TestTessera;
  let call: AdminCall;
  let counter = 0;

  beforeAll(async () => {
    t = await startTestTessera(CHEAP_ARGON2);
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const create = (body: Record<string, unknown>) =>
    call('POST', '/users', { body: { username: `imported${(counter += 1)}`, ...body } });
  const signIn = (username: string, password: string) =>
    t.tessera.accounts.authenticate({ username, password, ip: '127.0.0.1', clientId: undefined });

  it('creates a user whose imported hash signs in once and is then argon2id', async () => {
    const response = await create({ password_hash: pbkdf2Hash(PASSWORD), disabled: false });
    expect(response.status).toBe(201);
    const username = response.body.username as string;
    expect((await t.tessera.storage.accounts.get(response.body.id))?.passwordHash).toMatch(
      /^\$pbkdf2-sha256\$i=1000\$/,
    );
    expect((await signIn(username, 'not it')).outcome).toBe('invalid_credentials');
    expect((await signIn(username, PASSWORD)).outcome).toBe('success');
    expect((await t.tessera.storage.accounts.get(response.body.id))?.passwordHash).toMatch(
      /^\$argon2id\$v=19\$m=7168,t=1,p=1\$/,
    );
    expect((await signIn(username, PASSWORD)).outcome).toBe('success');
  });

  it('creates a user without a usable password when password_hash is null', async () => {
    const response = await create({ password_hash: null });
    expect(response.status).toBe(201);
    expect((await signIn(response.body.username, '')).outcome).toBe('invalid_credentials');
    expect((await signIn(response.body.username, '$unusable$')).outcome).toBe(
      'invalid_credentials',
    );
  });

  it('creates an imported user disabled when asked', async () => {
    const response = await create({ password_hash: pbkdf2Hash(PASSWORD), disabled: true });
    expect(response.body.disabled).toBe(true);
    expect((await signIn(response.body.username, PASSWORD)).outcome).toBe('invalid_credentials');
  });

  it.each([
    ['password_hash.iterations', { ...pbkdf2Hash(PASSWORD), iterations: 5_000_000 }],
    [
      'password_hash.memory_kib',
      { ...pbkdf2Hash(PASSWORD), algorithm: 'argon2id', iterations: 2, memory_kib: 1_048_576 },
    ],
    ['password_hash.salt', { ...pbkdf2Hash(PASSWORD), salt: 'c2FsdA' }],
    ['password_hash.algorithm', { ...pbkdf2Hash(PASSWORD), algorithm: 'bcrypt' }],
  ])('refuses a hash whose %s is out of bounds with a 400 naming it', async (field, hash) => {
    const response = await create({ password_hash: hash });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field });
  });

  it('refuses both a password and a hash, and neither', async () => {
    const both = await create({ password: PASSWORD, password_hash: pbkdf2Hash(PASSWORD) });
    expect(both.status).toBe(400);
    expect(both.body.field).toBe('password_hash');
    const neither = await create({});
    expect(neither.status).toBe(400);
    expect(neither.body.field).toBe('password');
  });
});
