import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { postForm, refusal } from '../helpers/oauth-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  createUser,
  postRefresh,
  registerAppClient,
  signIn,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

// OIDC Core section 11: offline_access is only honoured together with prompt=consent
// (oidc-provider drops it otherwise, lib/actions/authorization/scopes.js).
const OFFLINE = { params: { scope: 'openid profile offline_access', prompt: 'consent' } };
const PARALLEL = 8;

describe.each(STORAGE_BACKENDS)('refresh tokens (%s store)', (backend) => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    await createUser(t);
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  const tokenEndpoint = () => `${t.issuer}/token`;
  const refreshRaw = (refreshToken: string) => postRefresh(t, app, refreshToken);

  it('issues an opaque refresh token only when offline_access was granted', async () => {
    const withOffline = await signInAndRedeem(t, app, undefined, OFFLINE);
    expect(withOffline.tokens.refresh_token).toEqual(expect.any(String));
    expect(withOffline.tokens.refresh_token!.split('.')).toHaveLength(1);
    const without = await signInAndRedeem(t, app, undefined, { params: { scope: 'openid' } });
    expect(without.tokens.refresh_token).toBeUndefined();
  });

  it('rotates the refresh token on every use', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, OFFLINE);
    const first = await oidc.refreshTokenGrant(app.rp, tokens.refresh_token!);
    const second = await oidc.refreshTokenGrant(app.rp, first.refresh_token!);
    expect(first.refresh_token).not.toBe(tokens.refresh_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).toEqual(expect.any(String));
  });

  it('revokes the whole grant when a used refresh token comes back', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, OFFLINE);
    const rotated = await oidc.refreshTokenGrant(app.rp, tokens.refresh_token!);

    const replay = await refusal(oidc.refreshTokenGrant(app.rp, tokens.refresh_token!));
    expect(replay.error).toBe('invalid_grant');
    // The replay ended the grant: the newest refresh token and access token are dead too.
    expect((await refusal(oidc.refreshTokenGrant(app.rp, rotated.refresh_token!))).error).toBe(
      'invalid_grant',
    );
    const userinfo = await fetch(`${t.issuer}/me`, {
      headers: { authorization: `Bearer ${rotated.access_token}` },
    });
    expect(userinfo.status).toBe(401);
  });

  it('lets exactly one of several parallel uses of one refresh token succeed', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, OFFLINE);
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => refreshRaw(tokens.refresh_token!)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const loser of results.filter((r) => r.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(loser.body.error).toBe('invalid_grant');
    }
  });

  it('lets exactly one of several parallel redemptions of one code succeed', async () => {
    const { callback, verifier } = await signIn(t, app, new BrowserSession(), OFFLINE);
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: 'http://127.0.0.1:9/callback',
      code_verifier: verifier,
      client_id: app.clientId,
    }).toString();
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => postForm(tokenEndpoint(), body)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant'),
    ).toHaveLength(PARALLEL - 1);
  });

  it('refuses a second redemption of a code and revokes what the first one issued', async () => {
    const { callback, verifier, state, nonce } = await signIn(
      t,
      app,
      new BrowserSession(),
      OFFLINE,
    );
    const tokens = await oidc.authorizationCodeGrant(app.rp, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const again = await refusal(
      oidc.authorizationCodeGrant(app.rp, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      }),
    );
    expect(again.error).toBe('invalid_grant');
    expect((await refusal(oidc.refreshTokenGrant(app.rp, tokens.refresh_token!))).error).toBe(
      'invalid_grant',
    );
  });

  it('stops refreshing for an account that has been disabled', async () => {
    const graceId = await createUser(t, 'grace');
    const { tokens } = await signInAndRedeem(t, app, undefined, { ...OFFLINE, username: 'grace' });
    await t.tessera.accounts.setDisabled(graceId, true);
    const refused = await refusal(oidc.refreshTokenGrant(app.rp, tokens.refresh_token!));
    expect(refused.error).toBe('invalid_grant');
  });
});
