import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { listeningUrl, registerClient, relyingPartyAt } from '../helpers/oauth-fixtures.ts';
import { eventsSince, lastEventSequence } from '../helpers/outbox-events.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const PASSWORD = 'correct horse battery staple';

const PROFILE = {
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
  locale: 'en-GB',
  zoneinfo: 'Europe/London',
  picture: 'https://pictures.example.com/alice.png',
};

/** Profile values the rules refuse, each with the field the 400 must name. */
const REFUSED = [
  { what: 'a locale that is not a BCP 47 tag', body: { locale: 'en_US' }, field: 'locale' },
  { what: 'a locale of made-up subtags', body: { locale: 'english-please' }, field: 'locale' },
  { what: 'an unknown time zone', body: { zoneinfo: 'Mars/Olympus_Mons' }, field: 'zoneinfo' },
  { what: 'a UTC offset instead of a zone name', body: { zoneinfo: '+01:00' }, field: 'zoneinfo' },
  { what: 'a picture that is not a URL', body: { picture: 'alice.png' }, field: 'picture' },
  {
    what: 'a picture URL with a space or line break in it',
    body: { picture: 'https://pictures.example.com/a\nb.png' },
    field: 'picture',
  },
  { what: 'a javascript: picture', body: { picture: 'javascript:alert(1)' }, field: 'picture' },
  {
    what: 'a picture URL with credentials',
    body: { picture: 'https://user:secret@pictures.example.com/a.png' },
    field: 'picture',
  },
  {
    what: 'a given name with a control character',
    body: { given_name: 'Ali\u0007ce' },
    field: 'given_name',
  },
  {
    what: 'a family name with a text-direction override',
    body: { family_name: 'Liddell \u202Eevil' },
    field: 'family_name',
  },
  { what: 'a field the API does not know', body: { nickname: 'Al' }, field: 'nickname' },
];

describe.each(STORAGE_BACKENDS)('admin API: user profiles (%s store)', (backend) => {
  let t: TestTessera;
  let call: AdminCall;
  let counter = 0;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, CHEAP_ARGON2);
    call = adminClient(t, (await issueToken(t)).token);
  });
  afterAll(() => t.stop());

  const create = (body: Record<string, unknown> = {}) =>
    call('POST', '/users', {
      body: { username: `user${(counter += 1)}`, password: PASSWORD, ...body },
    });

  it('creates a user with profile fields and answers them on get and list', async () => {
    const created = await create(PROFILE);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(PROFILE);
    expect((await call('GET', `/users/${created.body.id}`)).body).toMatchObject(PROFILE);
    const listed = await call('GET', `/users?search=${created.body.username}`);
    expect(listed.body.items).toEqual([expect.objectContaining(PROFILE)]);
  });

  it('stores them canonicalised: tag case, zone-name case, URL serialisation', async () => {
    const created = await create({
      locale: 'EN-gb',
      zoneinfo: 'europe/london',
      picture: 'HTTPS://Pictures.Example.COM/a%20b.png',
      given_name: '  Alice  ',
    });
    expect(created.body).toMatchObject({
      locale: 'en-GB',
      zoneinfo: 'Europe/London',
      picture: 'https://pictures.example.com/a%20b.png',
      given_name: 'Alice',
    });
  });

  it('keeps a current zone name ICU would rename (Europe/Kyiv stays Europe/Kyiv)', async () => {
    expect((await create({ zoneinfo: 'Europe/Kyiv' })).body.zoneinfo).toBe('Europe/Kyiv');
  });

  it('patches only the fields given: a value sets, null removes, the rest stays', async () => {
    const { body: user } = await create(PROFILE);
    const patched = await call('PATCH', `/users/${user.id}`, {
      body: { locale: 'fr-CA', zoneinfo: 'America/Toronto', picture: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      ...PROFILE,
      locale: 'fr-CA',
      zoneinfo: 'America/Toronto',
      picture: null,
    });
    expect(Date.parse(patched.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(user.updated_at));
    expect((await call('GET', `/users/${user.id}`)).body).toEqual(patched.body);
  });

  it('records which profile fields changed, never their values', async () => {
    const { body: user } = await create(PROFILE);
    const before = await lastEventSequence(t);
    await call('PATCH', `/users/${user.id}`, {
      body: { given_name: 'Alicia', family_name: PROFILE.family_name, locale: null },
    });
    const events = await eventsSince(t, before);
    expect(events.map((event) => [event.type, event.subject, event.data])).toEqual([
      [
        'tessera.account.updated',
        user.id,
        {
          account_id: user.id,
          change: 'profile_changed',
          fields: ['given_name', 'locale'],
          disabled: false,
          version: 2,
        },
      ],
    ]);
    const text = JSON.stringify(events);
    for (const value of ['Alicia', 'Liddell', 'en-GB', user.username]) {
      expect(text).not.toContain(value);
    }
  });

  it('answers a patch that changes nothing with the user as stored, and records no event', async () => {
    const { body: user } = await create(PROFILE);
    const before = await lastEventSequence(t);
    const same = await call('PATCH', `/users/${user.id}`, {
      body: { given_name: ' Alice ', locale: 'en-gb' },
    });
    expect(same.status).toBe(200);
    expect(same.body).toEqual(user);
    expect((await call('PATCH', `/users/${user.id}`, { body: {} })).body).toEqual(user);
    expect(await lastEventSequence(t)).toBe(before);
  });

  it.each(REFUSED)('refuses $what with a 400 naming $field', async ({ body, field }) => {
    const { body: user } = await create();
    const before = await lastEventSequence(t);
    for (const response of [
      await create(body),
      await call('PATCH', `/users/${user.id}`, { body }),
    ]) {
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body).toMatchObject({ code: 'validation_failed', field });
    }
    expect(await lastEventSequence(t)).toBe(before);
  });

  it('accepts an http picture outside production', async () => {
    const created = await create({ picture: 'http://pictures.example.com/a.png' });
    expect(created.body.picture).toBe('http://pictures.example.com/a.png');
  });

  it('answers 404 for a patch of an unknown user', async () => {
    const response = await call('PATCH', '/users/acc_nope', { body: { locale: 'en' } });
    expect(response.status).toBe(404);
  });
});

describe('admin API: user profiles in production (NODE_ENV=production)', () => {
  let t: TestTessera;
  let call: AdminCall;

  beforeAll(async () => {
    t = await startTestTessera({
      ...CHEAP_ARGON2,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      TESSERA_ISSUER: 'https://id.example.test',
      TESSERA_TRUST_PROXY: 'true',
    });
    // The https issuer is not reachable by name: the admin talks to the listening port.
    const base = listeningUrl(t);
    const admin = await registerClient(t, { scope: 'tessera:admin', name: 'admin' });
    const rp = await relyingPartyAt(base, admin);
    const { access_token: token } = await oidc.clientCredentialsGrant(rp, {
      scope: 'tessera:admin',
    });
    call = adminClient(t, token, base);
  });
  afterAll(() => t.stop());

  it('refuses an http picture, naming the field', async () => {
    const response = await call('POST', '/users', {
      body: { username: 'alice', password: PASSWORD, picture: 'http://pictures.example.com/a.png' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'picture' });
    expect(response.body.detail).toContain('https');
  });

  it('accepts an https picture', async () => {
    const response = await call('POST', '/users', {
      body: { username: 'bob', password: PASSWORD, picture: PROFILE.picture },
    });
    expect(response.status).toBe(201);
    expect(response.body.picture).toBe(PROFILE.picture);
  });
});
