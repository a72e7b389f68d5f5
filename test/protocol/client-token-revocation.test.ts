import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { hashOpaqueToken } from '../../src/provider/removal-events.ts';
import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { isActiveFor, untilSecondAfter } from '../helpers/jwt-access-tokens.ts';
import { openTestMongoStorage } from '../helpers/mongodb-storage.ts';
import {
  listeningUrl,
  registerClient,
  relyingParty,
  relyingPartyAt,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { eventsSince, lastEventSequence } from '../helpers/outbox-events.ts';
import {
  createUser,
  postRefresh,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
  type StorageBackend,
} from '../helpers/storage-backends.ts';
import { PATIENCE_MS } from '../helpers/patience.ts';
import { waitFor } from '../helpers/tessera-process.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://orders.example.com/api';
/** RESOURCE_SERVER_MAX_TTL: the longest access-token TTL Tessera may issue, whatever is set. */
const LONGEST_TTL = 86_400;

/**
 * The backend's store, whose removals of a client's refresh tokens can be made to fail once, as
 * a crash part-way through a revocation would.
 */
async function openStoreWithCrashSwitch(backend: StorageBackend) {
  const storage: Storage =
    backend === 'sqlite'
      ? openSqliteStorage({ path: join(mkdtempSync(join(tmpdir(), 'tessera-')), 'db.sqlite') })
      : await openTestMongoStorage({ ttl: true });
  const crash = { armed: false };
  const oidcModels: Storage['oidcModels'] = {
    ...storage.oidcModels,
    revokeByClientId(model, clientId, options) {
      if (model === 'RefreshToken' && crash.armed) {
        crash.armed = false;
        return Promise.reject(new Error('simulated crash'));
      }
      return storage.oidcModels.revokeByClientId(model, clientId, options);
    },
  };
  return { storage: { ...storage, oidcModels }, crash };
}

describe.each(STORAGE_BACKENDS)('revoking every token of a client (%s store)', (backend) => {
  let t: TestTessera;
  let crash: { armed: boolean };
  let call: AdminCall;
  let introspector: RegisteredClient;

  beforeAll(async () => {
    const store = await openStoreWithCrashSwitch(backend);
    crash = store.crash;
    t = await startTestTessera(CHEAP_ARGON2, { storage: store.storage });
    call = adminClient(t, (await issueToken(t)).token);
    introspector = await registerClient(t, { name: 'orders api' });
    await t.tessera.resourceServers.create({
      audience: API,
      scopes: ['orders:read'],
      introspectors: [introspector.clientId],
    });
    await createUser(t);
  });
  afterAll(() => t.stop());

  const revokeTokens = (clientId: string) => call('POST', `/clients/${clientId}/revoke-tokens`);
  const appWithClientCredentials = () =>
    registerAppClient(t, {
      scope: 'openid offline_access orders:read',
      metadata: { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] },
    });
  const machineJwt = async (app: AppClient) =>
    (await oidc.clientCredentialsGrant(app.rp, { resource: API, scope: 'orders:read' }))
      .access_token;

  /** A user's JWT and refresh token, an opaque access token, and the client's own tokens. */
  async function holdings(app: AppClient) {
    const browser = new BrowserSession();
    const withApi = await signInAndRedeem(t, app, browser, {
      params: { scope: 'openid offline_access orders:read', prompt: 'consent', resource: API },
    });
    const plain = await signInAndRedeem(t, app, browser, { params: { scope: 'openid' } });
    return {
      userJwt: withApi.tokens.access_token,
      refreshToken: withApi.tokens.refresh_token!,
      opaque: plain.tokens.access_token,
      machineJwt: await machineJwt(app),
      machineOpaque: (await oidc.clientCredentialsGrant(app.rp)).access_token,
    };
  }

  it('ends every token and grant of the client, announces it, and keeps the client', async () => {
    const app = await appWithClientCredentials();
    const kept = await appWithClientCredentials();
    const held = await holdings(app);
    const keptJwt = await machineJwt(kept);
    for (const jwt of [held.userJwt, held.machineJwt]) {
      expect(await isActiveFor(t.issuer, introspector, jwt)).toBe(true);
    }
    const { version } = await t.tessera.clients.get(app.clientId);
    const before = await lastEventSequence(t);

    const response = await revokeTokens(app.clientId);

    expect(response.status).toBe(200);
    const issuedBefore = Date.parse(response.body.issued_before) / 1000;
    expect(response.body).toEqual({
      client_id: app.clientId,
      issued_before: expect.any(String),
      tokens_valid_until: new Date((issuedBefore + LONGEST_TTL) * 1000).toISOString(),
      // One grant: both sign-ins share the browser session's grant for the client. Both codes:
      // a redeemed code stays stored, consumed, until it expires. Three stored access tokens:
      // the user's JWT (its record), the opaque one and the client's opaque one.
      revoked: { grants: 1, refresh_tokens: 1, access_tokens: 3, codes: 2 },
    });
    // The opaque ones are gone from the store; the JWTs are cut off.
    for (const token of Object.values(held)) {
      expect(await isActiveFor(t.issuer, app, token)).toBe(false);
    }
    for (const jwt of [held.userJwt, held.machineJwt]) {
      expect(await isActiveFor(t.issuer, introspector, jwt)).toBe(false);
    }
    expect((await postRefresh(t, app, held.refreshToken)).body.error).toBe('invalid_grant');
    expect(await isActiveFor(t.issuer, introspector, keptJwt)).toBe(true);
    const client = await t.tessera.clients.get(app.clientId);
    expect(client).toMatchObject({ tokensRevokedAt: issuedBefore, version: version + 1 });

    const [announced, ...more] = await eventsSince(t, before, 'tessera.client.tokens_revoked');
    expect(more).toEqual([]);
    expect(announced).toMatchObject({
      key: app.clientId,
      data: {
        client_id: app.clientId,
        issued_before: issuedBefore,
        tokens_valid_until: issuedBefore + LONGEST_TTL,
      },
    });
    const revoked = await eventsSince(t, before, 'tessera.token.revoked');
    expect(revoked.every((event) => event.data['reason'] === 'client_tokens_revoked')).toBe(true);
    expect(revoked.map((event) => event.data['token_hash'] ?? event.data['jti'])).toEqual(
      expect.arrayContaining([
        hashOpaqueToken(held.opaque),
        hashOpaqueToken(held.refreshToken),
        hashOpaqueToken(held.machineOpaque),
        decodeJwt(held.userJwt).jti,
      ]),
    );
    const grants = await eventsSince(t, before, 'tessera.grant.revoked');
    expect(grants.map((event) => event.data['reason'])).toEqual(['client_tokens_revoked']);
    expect(await eventsSince(t, before, 'tessera.client.deleted')).toEqual([]);
  });

  it('accepts the tokens the client gets after the revocation', async () => {
    const app = await appWithClientCredentials();
    const response = await revokeTokens(app.clientId);
    const issuedBefore = Date.parse(response.body.issued_before) / 1000;

    await untilSecondAfter(issuedBefore);
    const jwt = await machineJwt(app);
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { scope: 'openid offline_access orders:read', prompt: 'consent', resource: API },
    });

    expect(decodeJwt(jwt).iat).toBeGreaterThan(issuedBefore);
    for (const token of [jwt, tokens.access_token]) {
      expect(await isActiveFor(t.issuer, introspector, token)).toBe(true);
    }
    expect(await isActiveFor(t.issuer, app, tokens.refresh_token!)).toBe(true);
  });

  it('revokes again when asked again, with a cut-off no earlier than the last', async () => {
    const app = await appWithClientCredentials();
    const first = await revokeTokens(app.clientId);
    const second = await revokeTokens(app.clientId);
    expect(second.status).toBe(200);
    expect(Date.parse(second.body.issued_before)).toBeGreaterThanOrEqual(
      Date.parse(first.body.issued_before),
    );
    expect(second.body.revoked).toEqual({
      grants: 0,
      refresh_tokens: 0,
      access_tokens: 0,
      codes: 0,
    });
  });

  it('completes a revocation cut short by a failure when the request is repeated', async () => {
    const app = await appWithClientCredentials();
    const held = await holdings(app);
    crash.armed = true;

    expect((await revokeTokens(app.clientId)).status).toBe(500);
    // The cut-off went first: the JWTs no store removal reaches are refused already.
    for (const jwt of [held.machineJwt, held.userJwt]) {
      expect(await isActiveFor(t.issuer, introspector, jwt)).toBe(false);
    }

    expect((await revokeTokens(app.clientId)).status).toBe(200);
    for (const token of Object.values(held)) {
      expect(await isActiveFor(t.issuer, app, token)).toBe(false);
    }
    expect((await postRefresh(t, app, held.refreshToken)).body.error).toBe('invalid_grant');
  });

  it("ends the admin API's access of a client that revokes its own tokens", async () => {
    const admin = await issueToken(t);
    const asAdmin = adminClient(t, admin.token);
    expect((await asAdmin('GET', '/clients?limit=1')).status).toBe(200);

    expect((await asAdmin('POST', `/clients/${admin.client.clientId}/revoke-tokens`)).status).toBe(
      200,
    );

    expect((await asAdmin('GET', '/clients?limit=1')).status).toBe(401);
    await untilSecondAfter(Math.floor(Date.now() / 1000));
    const fresh = await oidc.clientCredentialsGrant(await relyingParty(t, admin.client), {
      scope: 'tessera:admin',
    });
    expect((await adminClient(t, fresh.access_token)('GET', '/clients?limit=1')).status).toBe(200);
  });

  it('answers 404 for an unknown client, 400 for a malformed id, 405 for another method', async () => {
    const unknown = await revokeTokens('cl_unknown');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(unknown.body).toMatchObject({ code: 'not_found' });
    const malformed = await revokeTokens('x'.repeat(201));
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'validation_failed', field: 'client_id' });
    const app = await appWithClientCredentials();
    expect((await call('GET', `/clients/${app.clientId}/revoke-tokens`)).status).toBe(405);
    expect(
      (await call('POST', `/clients/${app.clientId}/revoke-tokens`, { token: null })).status,
    ).toBe(401);
  });

  it('logged no server error but the simulated crash', () => {
    const errors = t.logs.filter((line) => Number(line.level) >= 50);
    expect(errors.every((line) => JSON.stringify(line).includes('simulated crash'))).toBe(true);
  });
});

describe.each(STORAGE_BACKENDS)(
  'a client revocation seen by another replica (%s store)',
  (backend) => {
    let a: TestTessera;
    let b: TestTessera;
    /** A replica with polling off: what b would do without it (the cache TTL only). */
    let unpolled: TestTessera;
    let env: Record<string, string>;

    beforeAll(async () => {
      // One issuer for every replica, as behind a load balancer: each one's JWTs are the others'.
      env = {
        ...sharedStoreEnv(backend),
        TESSERA_ISSUER: 'https://id.example.test',
        // The longest there is: however long the test takes, the TTL cannot explain a refusal.
        TESSERA_CLIENT_CACHE_TTL: '300',
      };
      a = await startTestTessera(env);
      b = await startTestTessera(env);
      unpolled = await startTestTessera({ ...env, TESSERA_CATALOG_POLL_MS: '0' });
      await a.tessera.resourceServers.create({ audience: API, scopes: ['orders:read'] });
    });
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await unpolled?.stop();
      await removeSharedStore(env);
    });

    it("refuses there, once it polls the catalog, the client's JWTs issued before", async () => {
      const service = await registerClient(a, { scope: 'orders:read' });
      const rp = await relyingPartyAt(listeningUrl(a), service);
      const { access_token: jwt } = await oidc.clientCredentialsGrant(rp, {
        resource: API,
        scope: 'orders:read',
      });
      // Both other replicas now hold the client in memory, for 300 s.
      for (const at of [b, unpolled]) {
        expect(await isActiveFor(listeningUrl(at), service, jwt)).toBe(true);
      }

      await a.tessera.clients.revokeTokens(service.clientId);
      // TESSERA_CATALOG_POLL_MS is 1 s by default; the deadline only bounds a failing test.
      await waitFor(
        async () => ((await isActiveFor(listeningUrl(b), service, jwt)) ? undefined : true),
        PATIENCE_MS,
        50,
      );

      // The premise: without polling, the cached client (without its cut-off) would still vouch.
      expect(await isActiveFor(listeningUrl(unpolled), service, jwt)).toBe(true);
    });
  },
);
