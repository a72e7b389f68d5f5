import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashOpaqueToken } from '../../src/provider/removal-events.ts';
import type { StoredOutboxEvent } from '../../src/ports/outbox.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  postForm,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import {
  createUser,
  formValue,
  registerAppClient,
  signIn,
  postRefresh,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { eventsSince, lastEventSequence } from '../helpers/outbox-events.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://photos.example.com/api';
/** A grant with a refresh token and JWT access tokens for the API (OIDC Core section 11). */
const OFFLINE_API = {
  params: { scope: 'openid offline_access photos:read', prompt: 'consent', resource: API },
};

describe.each(STORAGE_BACKENDS)('revocation events (%s store)', (backend) => {
  let t: TestTessera;
  let aliceId: string;
  let app: AppClient;
  let service: RegisteredClient;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    aliceId = await createUser(t);
    await t.tessera.resourceServers.create({ audience: API, scopes: ['photos:read'] });
    app = await registerAppClient(t, {
      public: true,
      scope: 'openid profile offline_access photos:read',
    });
    service = await registerClient(t);
  });
  afterAll(() => t.stop());

  const since = (type: string, before: number) => eventsSince(t, before, type);
  const lastSequence = () => lastEventSequence(t);
  const jtisOf = (events: StoredOutboxEvent[]) =>
    events.flatMap((event) => (event.data['format'] === 'jwt' ? [event.data['jti']] : []));
  const refresh = (refreshToken: string) => postRefresh(t, app, refreshToken);

  it('announces an opaque token revoked at the revocation endpoint by its hash, never its value', async () => {
    const rp = await relyingParty(t, service);
    const { access_token: token } = await oidc.clientCredentialsGrant(rp);
    const before = await lastSequence();
    await oidc.tokenRevocation(rp, token);

    const events = await since('tessera.token.revoked', before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject: service.clientId,
      key: service.clientId,
      data: {
        token_type: 'access_token',
        format: 'opaque',
        token_hash: hashOpaqueToken(token),
        client_id: service.clientId,
        sub: null,
        grant_id: null,
        exp: expect.any(Number) as number,
        reason: 'revocation_endpoint',
      },
    });
    const everything = await t.tessera.storage.outbox.listRecent({ limit: 500 });
    expect(JSON.stringify(everything)).not.toContain(token);
  });

  it('records nothing when the revoked token is unknown', async () => {
    const rp = await relyingParty(t, service);
    const before = await lastSequence();
    await oidc.tokenRevocation(rp, 'not-a-token-tessera-issued');
    expect(await since('tessera.token.revoked', before)).toEqual([]);
  });

  it('names every JWT access token of a grant revoked for refresh-token reuse by jti, exp, sub and client', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, OFFLINE_API);
    const rotated = await oidc.refreshTokenGrant(app.rp, tokens.refresh_token!);
    const issued = [tokens.access_token, rotated.access_token].map((token) => decodeJwt(token));
    const before = await lastSequence();

    expect((await refresh(tokens.refresh_token!)).body.error).toBe('invalid_grant');

    const revoked = await since('tessera.token.revoked', before);
    expect(jtisOf(revoked).sort()).toEqual(issued.map((claims) => claims.jti).sort());
    for (const claims of issued) {
      const event = revoked.find((candidate) => candidate.data['jti'] === claims.jti);
      expect(event).toMatchObject({
        subject: aliceId,
        key: aliceId,
        data: {
          token_type: 'access_token',
          format: 'jwt',
          exp: claims.exp,
          sub: aliceId,
          client_id: app.clientId,
          grant_id: expect.any(String) as string,
          reason: 'refresh_token_reuse',
        },
      });
    }
    const refreshHashes = revoked
      .filter((event) => event.data['token_type'] === 'refresh_token')
      .map((event) => event.data['token_hash']);
    expect(refreshHashes).toContain(hashOpaqueToken(rotated.refresh_token!));
    const [grant] = await since('tessera.grant.revoked', before);
    expect(grant).toMatchObject({
      subject: aliceId,
      data: { client_id: app.clientId, sub: aliceId, reason: 'refresh_token_reuse' },
    });
    expect(grant?.data['grant_id']).toBe(revoked[0]?.data['grant_id']);
  });

  it('names the JWT access tokens of a grant revoked because its code came back', async () => {
    const browser = new BrowserSession();
    const { callback, verifier, state, nonce } = await signIn(t, app, browser, OFFLINE_API);
    const tokens = await oidc.authorizationCodeGrant(app.rp, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const before = await lastSequence();
    const replay = await postForm(
      `${t.issuer}/token`,
      new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: 'http://127.0.0.1:9/callback',
        code_verifier: verifier,
        client_id: app.clientId,
      }).toString(),
    );
    expect(replay.body.error).toBe('invalid_grant');

    const revoked = await since('tessera.token.revoked', before);
    expect(jtisOf(revoked)).toEqual([decodeJwt(tokens.access_token).jti]);
    expect(revoked.every((event) => event.data['reason'] === 'code_reuse')).toBe(true);
  });

  it('names the JWT access tokens of a grant whose refresh token is revoked at the endpoint', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, OFFLINE_API);
    const before = await lastSequence();
    await oidc.tokenRevocation(app.rp, tokens.refresh_token!, { token_type_hint: 'refresh_token' });

    const revoked = await since('tessera.token.revoked', before);
    expect(jtisOf(revoked)).toEqual([decodeJwt(tokens.access_token).jti]);
    expect(revoked.every((event) => event.data['reason'] === 'revocation_endpoint')).toBe(true);
  });

  it('announces a confirmed logout with the sid of each client, and the revoked session tokens', async () => {
    const { tokens, browser } = await signInAndRedeem(t, app, undefined, {
      params: { scope: 'openid photos:read', resource: API },
    });
    const confirm = await browser.request(
      `${t.issuer}/session/end?id_token_hint=${tokens.id_token!}`,
    );
    const before = await lastSequence();
    await browser.follow(`${t.issuer}/session/end/confirm`, t.issuer, {
      form: { xsrf: formValue(confirm.body, 'xsrf'), logout: 'yes' },
    });

    const [ended] = await since('tessera.session.ended', before);
    const sid = ended?.data['sid'];
    expect(sid).toEqual(expect.any(String));
    expect(ended).toMatchObject({
      subject: aliceId,
      data: {
        account_id: aliceId,
        client_id: app.clientId,
        reason: 'logout',
        clients: [{ client_id: app.clientId, sid }],
      },
    });
    const revoked = await since('tessera.token.revoked', before);
    expect(jtisOf(revoked)).toEqual([decodeJwt(tokens.access_token).jti]);
    expect(revoked[0]?.data['reason']).toBe('logout');
  });

  it('never lets the record of a JWT access token pass as an opaque token', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { scope: 'openid photos:read', resource: API },
    });
    const jti = String(decodeJwt(tokens.access_token).jti);
    const userinfo = await fetch(`${t.issuer}/me`, { headers: { authorization: `Bearer ${jti}` } });
    expect(userinfo.status).toBe(401);
    const rp = await relyingParty(t, service);
    expect(await oidc.tokenIntrospection(rp, jti)).toEqual({ active: false });
  });
});
