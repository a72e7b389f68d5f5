import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  createUser,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe("admin API: a user's second factors", () => {
  let t: TestTessera;
  let call: AdminCall;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTessera(CHEAP_ARGON2);
    call = adminClient(t, (await issueToken(t)).token);
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  /** Sets up an authenticator app and recovery codes for the account, as /account would. */
  async function enrolFactors(accountId: string) {
    const enrolment = await t.tessera.factors.startTotp(accountId, 'someone');
    const code = await generate({ secret: enrolment!.secret });
    expect(await t.tessera.factors.confirmTotp(accountId, code)).toBe(true);
    await t.tessera.factors.generateRecoveryCodes(accountId);
    return enrolment!.secret;
  }

  const eventsOf = async (type: string) =>
    (await t.tessera.storage.outbox.listRecent({ limit: 100 })).filter(
      (event) => event.type === type,
    );

  it('lists no factors for a user without any, and 404 for an unknown user', async () => {
    const id = await createUser(t, 'plain');
    expect((await call('GET', `/users/${id}/factors`)).body).toEqual({ items: [] });
    expect((await call('GET', '/users/acc_nobody/factors')).status).toBe(404);
    expect((await call('POST', '/users/acc_nobody/reset-factors')).status).toBe(404);
  });

  it('lists the factors a user set up, without any secret', async () => {
    const id = await createUser(t, 'ada');
    const secret = await enrolFactors(id);
    const response = await call('GET', `/users/${id}/factors`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: expect.arrayContaining([
        expect.objectContaining({ kind: 'totp', name: null, remaining: null }),
        expect.objectContaining({ kind: 'recovery_codes', remaining: 10, last_used_at: null }),
      ]),
    });
    expect(JSON.stringify(response.body)).not.toContain(secret);
  });

  it('resets the factors, ends the sessions and lets the password alone sign in again', async () => {
    const id = await createUser(t, 'grace');
    // A session from before the app existed: it must not survive the reset.
    const { browser } = await signInAndRedeem(t, app, new BrowserSession(), { username: 'grace' });
    await enrolFactors(id);
    const response = await call('POST', `/users/${id}/reset-factors`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ removed: 2, sessions_ended: 1 });
    expect((await call('GET', `/users/${id}/factors`)).body).toEqual({ items: [] });

    expect((await eventsOf('tessera.account.factors_reset')).map((e) => e.data)).toContainEqual({
      account_id: id,
      removed: 2,
    });
    expect(
      (await eventsOf('tessera.session.ended')).filter((e) => e.subject === id)[0]?.data,
    ).toMatchObject({ reason: 'factors_reset' });
    // The old browser's session is gone: /account no longer knows it.
    expect((await browser.request(`${t.issuer}/account`)).body).toContain('You are not signed in');
    const { tokens } = await signInAndRedeem(t, app, new BrowserSession(), { username: 'grace' });
    expect(tokens.claims()?.amr).toEqual(['pwd']);
  });
});
