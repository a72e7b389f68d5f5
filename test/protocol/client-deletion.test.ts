import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { ClientDeletionOptions } from '../../src/ports/clients.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { hashOpaqueToken } from '../../src/provider/removal-events.ts';
import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { openTestMongoStorage } from '../helpers/mongodb-storage.ts';
import {
  basicAuth,
  postForm,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { eventsSince, lastEventSequence } from '../helpers/outbox-events.ts';
import {
  createUser,
  postRefresh,
  REDIRECT_URI,
  registerAppClient,
  signIn,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, type StorageBackend } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://photos.example.com/api';

/**
 * The backend's store, whose client deletions can be made to fail part-way once, as a crash
 * would: the events of the refresh tokens throw, after the access tokens' removal on MongoDB
 * (each model is its own write there) and inside the one transaction on SQLite.
 */
async function openStoreWithCrashSwitch(backend: StorageBackend) {
  const storage: Storage =
    backend === 'sqlite'
      ? openSqliteStorage({ path: join(mkdtempSync(join(tmpdir(), 'tessera-')), 'db.sqlite') })
      : await openTestMongoStorage({ ttl: true });
  const crash = { armed: false };
  const remove = storage.clients.delete.bind(storage.clients);
  type EventsFor = NonNullable<ClientDeletionOptions['eventsFor']>;
  const eventsThatCrash =
    (eventsFor: ClientDeletionOptions['eventsFor']): EventsFor =>
    (model, removed) => {
      if (model === 'RefreshToken' && crash.armed) {
        crash.armed = false;
        throw new Error('simulated crash');
      }
      return eventsFor?.(model, removed) ?? [];
    };
  const clients: Storage['clients'] = {
    ...storage.clients,
    delete: (clientId, options) =>
      remove(clientId, { ...options, eventsFor: eventsThatCrash(options?.eventsFor) }),
  };
  return { storage: { ...storage, clients }, crash };
}

describe.each(STORAGE_BACKENDS)('deleting a client (%s store)', (backend) => {
  let t: TestTessera;
  let crash: { armed: boolean };
  let call: AdminCall;
  let api: RegisteredClient;
  let introspector: oidc.Configuration;

  beforeAll(async () => {
    const store = await openStoreWithCrashSwitch(backend);
    crash = store.crash;
    t = await startTestTessera(CHEAP_ARGON2, { storage: store.storage });
    call = adminClient(t, (await issueToken(t)).token);
    await t.tessera.resourceServers.create({ audience: API, scopes: ['photos:read'] });
    await createUser(t, 'alice');
    api = await registerClient(t, { name: 'photos api' });
    introspector = await relyingParty(t, api);
  });
  afterAll(() => t.stop());

  const introspect = async (token: string) =>
    (await oidc.tokenIntrospection(introspector, token)).active;
  const deleteClient = (app: AppClient) => call('DELETE', `/clients/${app.clientId}`);
  const appWithClientCredentials = () =>
    registerAppClient(t, {
      scope: 'openid profile offline_access photos:read',
      metadata: { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] },
    });
  const redeemCode = (app: AppClient, code: string) =>
    postForm(
      `${t.issuer}/token`,
      new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
      }).toString(),
      { authorization: basicAuth(app.clientId, app.clientSecret!) },
    );

  /**
   * What an application holds after people signed in to it and it called an API itself: a grant
   * with a refresh token and a (recorded) JWT access token for the API, an opaque access token,
   * an authorization code not redeemed yet, and a client-credentials token.
   */
  async function holdings(app: AppClient) {
    const browser = new BrowserSession();
    const withApi = await signInAndRedeem(t, app, browser, {
      params: { scope: 'openid offline_access photos:read', prompt: 'consent', resource: API },
    });
    const plain = await signInAndRedeem(t, app, browser, { params: { scope: 'openid profile' } });
    const { callback } = await signIn(t, app, browser, { params: { scope: 'openid' } });
    const cc = await oidc.clientCredentialsGrant(app.rp);
    return {
      jwt: withApi.tokens.access_token,
      refreshToken: withApi.tokens.refresh_token!,
      opaque: plain.tokens.access_token,
      code: callback.searchParams.get('code')!,
      clientCredentials: cc.access_token,
    };
  }

  it('revokes everything the client held and announces each revocation', async () => {
    const app = await appWithClientCredentials();
    const held = await holdings(app);
    // Only the token's own client may introspect a token without an audience (RFC 7662 §4).
    expect((await oidc.tokenIntrospection(app.rp, held.opaque)).active).toBe(true);
    const before = await lastEventSequence(t);

    expect((await deleteClient(app)).status).toBe(204);

    expect(await introspect(held.opaque)).toBe(false);
    expect(await introspect(held.refreshToken)).toBe(false);
    expect(await introspect(held.clientCredentials)).toBe(false);
    expect(await introspect(held.code)).toBe(false);
    // The JWT's record goes too, and its jti is announced below.
    expect((await postRefresh(t, app, held.refreshToken)).status).toBe(401);
    expect((await redeemCode(app, held.code)).status).toBe(401);
    // Gone from the store, not only refused because the client cannot authenticate.
    const models = t.tessera.storage.oidcModels;
    expect(await models.find('AccessToken', held.opaque)).toBeUndefined();
    expect(await models.find('ClientCredentials', held.clientCredentials)).toBeUndefined();
    expect(await models.find('RefreshToken', held.refreshToken)).toBeUndefined();
    expect(await models.find('AuthorizationCode', held.code)).toBeUndefined();
    expect(await models.find('AccessToken', String(decodeJwt(held.jwt).jti))).toBeUndefined();

    const revoked = await eventsSince(t, before, 'tessera.token.revoked');
    expect(revoked.every((event) => event.data['reason'] === 'client_deleted')).toBe(true);
    expect(revoked.every((event) => event.data['client_id'] === app.clientId)).toBe(true);
    expect(revoked.map((event) => event.data['token_hash'] ?? event.data['jti'])).toEqual(
      expect.arrayContaining([
        hashOpaqueToken(held.opaque),
        hashOpaqueToken(held.refreshToken),
        hashOpaqueToken(held.clientCredentials),
        decodeJwt(held.jwt).jti,
      ]),
    );
    const grants = await eventsSince(t, before, 'tessera.grant.revoked');
    expect(grants.length).toBeGreaterThanOrEqual(1);
    for (const grant of grants) {
      expect(grant.data).toMatchObject({ client_id: app.clientId, reason: 'client_deleted' });
    }
    const deleted = await eventsSince(t, before, 'tessera.client.deleted');
    expect(deleted.map((event) => event.data['client_id'])).toEqual([app.clientId]);
  });

  it("tells resource servers until when the deleted client's tokens may still be valid", async () => {
    const app = await appWithClientCredentials();
    const before = await lastEventSequence(t);
    const deletedFrom = Math.floor(Date.now() / 1000);
    await deleteClient(app);
    const deletedBy = Math.ceil(Date.now() / 1000);
    const [event] = await eventsSince(t, before, 'tessera.client.deleted');
    // The deletion's time, plus the longest access-token TTL a resource server may have (one
    // day) and the cache TTL (5 s).
    const deletedAt = Number(event?.data['tokens_valid_until']) - (86_400 + 5);
    expect(deletedAt).toBeGreaterThanOrEqual(deletedFrom);
    expect(deletedAt).toBeLessThanOrEqual(deletedBy);
  });

  it('completes a deletion cut short by a failure when the request is repeated', async () => {
    const app = await appWithClientCredentials();
    const held = await holdings(app);
    const before = await lastEventSequence(t);
    crash.armed = true;

    expect((await deleteClient(app)).status).toBe(500);
    expect((await call('GET', `/clients/${app.clientId}`)).status).toBe(200);

    expect((await deleteClient(app)).status).toBe(204);
    expect((await call('GET', `/clients/${app.clientId}`)).status).toBe(404);
    for (const token of [held.opaque, held.refreshToken, held.clientCredentials]) {
      expect(await introspect(token)).toBe(false);
    }
    const models = t.tessera.storage.oidcModels;
    expect(await models.find('AccessToken', held.opaque)).toBeUndefined();
    expect(await models.find('RefreshToken', held.refreshToken)).toBeUndefined();
    expect(await models.find('ClientCredentials', held.clientCredentials)).toBeUndefined();
    const revoked = await eventsSince(t, before, 'tessera.token.revoked');
    expect(new Set(revoked.map((event) => event.data['token_hash'] ?? event.data['jti']))).toEqual(
      new Set([
        hashOpaqueToken(held.opaque),
        hashOpaqueToken(held.refreshToken),
        hashOpaqueToken(held.clientCredentials),
        decodeJwt(held.jwt).jti,
      ]),
    );
    expect(await eventsSince(t, before, 'tessera.client.deleted')).toHaveLength(1);
  });

  it('answers active false, not a 500, for a token a deleted client left behind, and 200 to its revocation', async () => {
    const app = await appWithClientCredentials();
    const { tokens } = await signInAndRedeem(t, app, new BrowserSession(), {
      params: { scope: 'openid profile' },
    });
    const models = t.tessera.storage.oidcModels;
    const stored = await models.find('AccessToken', tokens.access_token);
    expect(stored?.['accountId']).toBeTypeOf('string');
    expect((await deleteClient(app)).status).toBe(204);
    // As a replica still serving the client from its cache would store it just after.
    const expiresIn = Number(stored?.['exp']) - Math.floor(Date.now() / 1000);
    await models.upsert(
      'AccessToken',
      tokens.access_token,
      { ...stored, jti: tokens.access_token },
      expiresIn,
    );

    const introspected = await postForm(
      `${t.issuer}/token/introspection`,
      `token=${encodeURIComponent(tokens.access_token)}`,
      { authorization: basicAuth(api.clientId, api.clientSecret) },
    );
    expect(introspected).toMatchObject({ status: 200, body: { active: false } });
    await expect(oidc.tokenRevocation(introspector, tokens.access_token)).resolves.toBeUndefined();
  });

  it('makes the browser session forget the deleted client', async () => {
    const bob = await createUser(t, 'bob');
    const doomed = await appWithClientCredentials();
    const kept = await appWithClientCredentials();
    const browser = new BrowserSession();
    const asBob = { username: 'bob', params: { scope: 'openid profile' } };
    await signInAndRedeem(t, doomed, browser, asBob);
    await signInAndRedeem(t, kept, browser, asBob);

    await deleteClient(doomed);
    // The next request that reads the session saves it again (oidc-provider lib/shared/session.js).
    await signIn(t, kept, browser, asBob);

    const sessions = await t.tessera.storage.oidcModels.findByAccountId('Session', bob);
    expect(sessions).toHaveLength(1);
    expect(Object.keys(sessions[0]!['authorizations'] as object)).toEqual([kept.clientId]);
  });
});
