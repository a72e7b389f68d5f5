import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashOpaqueToken } from '../../src/provider/removal-events.ts';
import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  registerAppClient,
  postRefresh,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { eventsSince, lastEventSequence } from '../helpers/outbox-events.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://photos.example.com/api';

describe.each(STORAGE_BACKENDS)(
  'an administrator ending an account’s access (%s store)',
  (backend) => {
    let t: TestTessera;
    let call: AdminCall;
    let app: AppClient;

    beforeAll(async () => {
      t = await startTestTesseraOn(backend, {
        ...CHEAP_ARGON2,
      });
      call = adminClient(t, (await issueToken(t)).token);
      await t.tessera.resourceServers.create({ audience: API, scopes: ['photos:read'] });
      app = await registerAppClient(t, { scope: 'openid profile offline_access photos:read' });
    });
    afterAll(() => t.stop());

    const lastSequence = () => lastEventSequence(t);
    const since = (before: number, type: string) => eventsSince(t, before, type);
    const refresh = (refreshToken: string) => postRefresh(t, app, refreshToken);
    // The app asks about its own tokens: only their client may introspect a refresh token or an
    // access token without a resource (RFC 7662 section 2.1).
    const introspect = async (token: string) =>
      (await oidc.tokenIntrospection(app.rp, token)).active;
    /** Whether the browser's session cookie takes it past the sign-in page. */
    const skipsLogin = async (browser: BrowserSession) => {
      const { url } = await authorizationRequest(app, { params: { scope: 'openid' } });
      const { page, leftTo } = await browser.follow(url.href, t.issuer);
      return leftTo !== undefined && !page.body.includes('name="password"');
    };

    /**
     * A person signed in (a session) who holds a refresh token and a JWT access token for the API
     * from one grant, and an opaque access token (for userinfo) from a second sign-in.
     */
    async function signedInUser(username: string) {
      const accountId = await createUser(t, username);
      const browser = new BrowserSession();
      const withApi = await signInAndRedeem(t, app, browser, {
        username,
        params: { scope: 'openid offline_access photos:read', prompt: 'consent', resource: API },
      });
      const plain = await signInAndRedeem(t, app, browser, {
        username,
        params: { scope: 'openid profile' },
      });
      const jwt = withApi.tokens.access_token;
      expect(decodeJwt(jwt).aud).toBe(API);
      const opaque = plain.tokens.access_token;
      expect(opaque.split('.')).toHaveLength(1);
      return { accountId, browser, refreshToken: withApi.tokens.refresh_token!, jwt, opaque };
    }

    it('revokes every token and ends every session of a disabled account, announcing each', async () => {
      const user = await signedInUser('dora');
      expect(await introspect(user.opaque)).toBe(true);
      expect(await skipsLogin(user.browser)).toBe(true);
      const before = await lastSequence();

      const disabled = await call('POST', `/users/${user.accountId}/disable`);
      expect(disabled.status).toBe(200);

      expect((await refresh(user.refreshToken)).body.error).toBe('invalid_grant');
      expect(await introspect(user.opaque)).toBe(false);
      expect(await introspect(user.refreshToken)).toBe(false);

      const revoked = await since(before, 'tessera.token.revoked');
      const jwtEvent = revoked.find((event) => event.data['format'] === 'jwt');
      expect(jwtEvent).toMatchObject({
        subject: user.accountId,
        key: user.accountId,
        data: {
          token_type: 'access_token',
          jti: decodeJwt(user.jwt).jti,
          exp: decodeJwt(user.jwt).exp,
          sub: user.accountId,
          client_id: app.clientId,
          reason: 'account_disabled',
        },
      });
      const hashes = revoked.map((event) => event.data['token_hash']);
      expect(hashes).toContain(hashOpaqueToken(user.opaque));
      expect(hashes).toContain(hashOpaqueToken(user.refreshToken));
      expect(revoked.every((event) => event.data['reason'] === 'account_disabled')).toBe(true);

      const grants = await since(before, 'tessera.grant.revoked');
      expect(grants.length).toBeGreaterThanOrEqual(1);
      expect(grants.every((event) => event.data['sub'] === user.accountId)).toBe(true);
      const ended = await since(before, 'tessera.session.ended');
      expect(ended).toHaveLength(1);
      expect(ended[0]).toMatchObject({
        subject: user.accountId,
        data: {
          account_id: user.accountId,
          client_id: null,
          reason: 'account_disabled',
          clients: [{ client_id: app.clientId, sid: expect.any(String) as string }],
        },
      });

      // The session is gone, not only refused: enabling the account again does not bring it back.
      expect(await skipsLogin(user.browser)).toBe(false);
      await call('POST', `/users/${user.accountId}/enable`);
      expect(await skipsLogin(user.browser)).toBe(false);
      expect(await introspect(user.opaque)).toBe(false);
    });

    it('records the account change before the revocations, all under the account id', async () => {
      const user = await signedInUser('eve');
      const before = await lastSequence();
      await call('POST', `/users/${user.accountId}/disable`);
      const recorded = await eventsSince(t, before);
      const types = recorded.map((event) => event.type);
      expect(types[0]).toBe('tessera.account.updated');
      expect(new Set(types)).toEqual(
        new Set([
          'tessera.account.updated',
          'tessera.session.ended',
          'tessera.token.revoked',
          'tessera.grant.revoked',
        ]),
      );
      expect(recorded.every((event) => event.key === user.accountId)).toBe(true);
    });

    it('revokes the same way when an administrator sets the password', async () => {
      const user = await signedInUser('fred');
      const before = await lastSequence();
      const changed = await call('PUT', `/users/${user.accountId}/password`, {
        body: { password: 'a completely new passphrase' },
      });
      expect(changed.status).toBe(204);

      expect((await refresh(user.refreshToken)).body.error).toBe('invalid_grant');
      expect(await introspect(user.opaque)).toBe(false);
      expect(await skipsLogin(user.browser)).toBe(false);
      const revoked = await since(before, 'tessera.token.revoked');
      expect(revoked.map((event) => event.data['jti'])).toContain(decodeJwt(user.jwt).jti);
      expect(revoked.every((event) => event.data['reason'] === 'password_changed')).toBe(true);
      expect((await since(before, 'tessera.session.ended'))[0]?.data['reason']).toBe(
        'password_changed',
      );
    });

    it('leaves other accounts and an unlocked account their tokens', async () => {
      const kept = await signedInUser('gina');
      const other = await signedInUser('hank');
      await call('POST', `/users/${kept.accountId}/unlock`);
      await call('POST', `/users/${other.accountId}/disable`);
      expect(await introspect(kept.opaque)).toBe(true);
      expect(await skipsLogin(kept.browser)).toBe(true);
      const refreshed = await refresh(kept.refreshToken);
      expect(refreshed.status).toBe(200);
    });
  },
);
