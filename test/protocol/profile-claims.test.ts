import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  PASSWORD,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

const PROFILE = {
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
  locale: 'en-GB',
  zoneinfo: 'Europe/London',
  picture: 'https://pictures.example.com/alice.png',
};

const claimsParameter = (claims: object) => JSON.stringify(claims);

describe.each(STORAGE_BACKENDS)('profile claims and the claims parameter (%s store)', (backend) => {
  let t: TestTessera;
  let admin: AdminCall;
  let app: AppClient;
  let aliceId: string;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, CHEAP_ARGON2);
    admin = adminClient(t, (await issueToken(t)).token);
    const created = await admin('POST', '/users', {
      body: { username: 'alice', password: PASSWORD, email: 'alice@example.com', ...PROFILE },
    });
    expect(created.status).toBe(201);
    aliceId = created.body.id;
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  /** Signs alice in with `params` (fresh browser unless given) and redeems the code. */
  const signInWith = (params: Record<string, string>, browser = new BrowserSession()) =>
    signInAndRedeem(t, app, browser, { params });

  const userinfoOf = (tokens: { access_token: string }) =>
    oidc.fetchUserInfo(app.rp, tokens.access_token, aliceId);

  it('releases the profile fields set through the admin API at userinfo under the profile scope', async () => {
    const { tokens } = await signInWith({ scope: 'openid profile' });
    expect(await userinfoOf(tokens)).toEqual({
      sub: aliceId,
      preferred_username: 'alice',
      updated_at: expect.any(Number),
      ...PROFILE,
    });
  });

  it('releases none of them without the profile scope', async () => {
    const { tokens } = await signInWith({ scope: 'openid email' });
    expect(await userinfoOf(tokens)).toEqual({
      sub: aliceId,
      email: 'alice@example.com',
      email_verified: false,
    });
    const idToken = tokens.claims()!;
    for (const claim of Object.keys(PROFILE)) expect(idToken).not.toHaveProperty(claim);
  });

  it('puts the essential and voluntary claims asked for the ID token into it, and no others', async () => {
    const { tokens } = await signInWith({
      scope: 'openid profile',
      claims: claimsParameter({
        id_token: { given_name: { essential: true }, locale: null },
      }),
    });
    const idToken = tokens.claims()!;
    expect(idToken).toMatchObject({ given_name: 'Alice', locale: 'en-GB' });
    expect(idToken).not.toHaveProperty('family_name');
    expect(idToken).not.toHaveProperty('picture');
  });

  it('answers claims asked for userinfo there, not in the ID token', async () => {
    const { tokens } = await signInWith({
      scope: 'openid profile',
      claims: claimsParameter({ userinfo: { zoneinfo: { essential: true } } }),
    });
    expect(tokens.claims()).not.toHaveProperty('zoneinfo');
    expect(await userinfoOf(tokens)).toMatchObject({ zoneinfo: 'Europe/London' });
  });

  it('releases no claim outside the granted scopes, whatever the claims parameter asks', async () => {
    const { tokens } = await signInWith({
      scope: 'openid',
      claims: claimsParameter({
        id_token: { email: { essential: true }, given_name: null },
        userinfo: { email: null, family_name: { essential: true }, picture: null },
      }),
    });
    const idToken = tokens.claims()!;
    expect(idToken).not.toHaveProperty('email');
    expect(idToken).not.toHaveProperty('given_name');
    expect(await userinfoOf(tokens)).toEqual({ sub: aliceId });
  });

  it('leaves out an essential claim the account has no value for, without an error', async () => {
    const bob = await admin('POST', '/users', { body: { username: 'bob', password: PASSWORD } });
    const { tokens } = await signInAndRedeem(t, app, new BrowserSession(), {
      username: 'bob',
      params: {
        scope: 'openid profile',
        claims: claimsParameter({ id_token: { locale: { essential: true } } }),
      },
    });
    expect(tokens.claims()).toMatchObject({ sub: bob.body.id });
    expect(tokens.claims()).not.toHaveProperty('locale');
  });

  it('asks for no consent again for more claims of a scope already granted', async () => {
    const browser = new BrowserSession();
    await signInWith({ scope: 'openid profile' }, browser);
    const request = await authorizationRequest(app, {
      params: {
        scope: 'openid profile',
        claims: claimsParameter({ id_token: { family_name: null } }),
      },
    });
    const { page, leftTo } = await browser.follow(request.url.href, t.issuer);
    expect(page.body).not.toContain('/confirm"');
    const tokens = await oidc.authorizationCodeGrant(app.rp, leftTo!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()).toMatchObject({ family_name: 'Liddell' });
  });

  it('shows a profile change made through the admin API at the next userinfo request', async () => {
    const carol = await admin('POST', '/users', {
      body: { username: 'carol', password: PASSWORD, ...PROFILE },
    });
    const { tokens } = await signInAndRedeem(t, app, new BrowserSession(), {
      username: 'carol',
      params: { scope: 'openid profile' },
    });
    const changed = await admin('PATCH', `/users/${carol.body.id}`, {
      body: { locale: 'fr-CA', picture: null },
    });
    expect(changed.status).toBe(200);
    const userinfo = await oidc.fetchUserInfo(app.rp, tokens.access_token, carol.body.id);
    expect(userinfo).toMatchObject({ locale: 'fr-CA', given_name: 'Alice' });
    expect(userinfo).not.toHaveProperty('picture');
  });
});
