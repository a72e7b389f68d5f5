import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findFreePort } from '../../scripts/test-services/ports.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  exactly,
  leanResponses,
  sendForm,
  shapeOf,
  UTF8_FORM,
  type Answer,
  type Form,
} from '../helpers/lean-differential.ts';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/oauth-fixtures.ts';
import {
  createUser,
  REDIRECT_URI,
  registerAppClient,
  signIn,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
} from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://orders.example.com/api';
const SCOPE = 'openid profile offline_access orders:read';
// OIDC Core section 11: offline_access is honoured together with prompt=consent.
const OFFLINE = { scope: 'openid profile offline_access', prompt: 'consent' };
const OFFLINE_API = {
  scope: 'openid offline_access orders:read',
  prompt: 'consent',
  resource: API,
};
/** TESSERA_REFRESH_TOKEN_TTL's default is far below this (src/config/env/tokens.ts). */
const PAST_EVERY_TTL = 400 * 24 * 3600 * 1000;
/**
 * Differ between two grants by nature (their ids, sessions, instants, nonce, the ID token's hash
 * of its access token): compared by shape.
 */
const PER_GRANT = new Set([
  'jti',
  'iat',
  'exp',
  'iiat',
  'grantId',
  'sessionUid',
  'sid',
  'authTime',
  'auth_time',
  'nonce',
  'consumed',
  'at_hash',
]);

/** A token, an ID token's claims or a stored record as far as two grants' can be equal. */
function sameShape(record: Record<string, unknown>) {
  return {
    keys: Object.keys(record),
    values: Object.fromEntries(
      Object.entries(record).map(([key, value]) => [
        key,
        PER_GRANT.has(key) ? shapeOf(String(value)) : value,
      ]),
    ),
    lifetime: Number(record['exp']) - Number(record['iat']),
  };
}

function comparableToken(token: unknown) {
  if (typeof token !== 'string') return token;
  if (token.split('.').length !== 3) return { opaque: shapeOf(token) };
  return { header: decodeProtectedHeader(token), claims: sameShape(decodeJwt(token)) };
}

/** A refresh answer as far as answers for two equal grants can be equal. */
function comparable(answer: Answer) {
  if (answer.status !== 200) return exactly(answer);
  const { headers } = exactly(answer);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  return {
    status: answer.status,
    headers,
    keys: Object.keys(body),
    body: {
      ...body,
      access_token: comparableToken(body['access_token']),
      refresh_token: comparableToken(body['refresh_token']),
      id_token: comparableToken(body['id_token']),
    },
  };
}

describe.each(STORAGE_BACKENDS)('lean refresh-token path (%s store)', (backend) => {
  let lean: TestTessera;
  /** The same deployment with the lean paths off: oidc-provider's whole pipeline answers. */
  let full: TestTessera;
  let env: Record<string, string>;
  let basicApp: AppClient;
  let postApp: AppClient;
  let otherApp: AppClient;
  /** A client-credentials client: not registered for the refresh_token grant. */
  let serviceClient: RegisteredClient;
  const clock = createTestClock(Date.now());

  beforeAll(async () => {
    // One issuer for both instances (as two replicas behind one name), reachable at the lean one
    // for the sign-ins: same `iss`, same URLs.
    const port = await findFreePort();
    env = {
      ...sharedStoreEnv(backend),
      ...CHEAP_ARGON2,
      TESSERA_ISSUER: `http://localhost:${port}`,
    };
    lean = await startTestTessera({ ...env, PORT: String(port) }, { clock });
    full = await startTestTessera(env, { clock, leanTokenPath: false });
    await createUser(lean);
    await lean.tessera.resourceServers.create({ audience: API, scopes: ['orders:read'] });
    basicApp = await registerAppClient(lean, { scope: SCOPE });
    postApp = await registerAppClient(lean, {
      scope: SCOPE,
      name: 'Posting App',
      metadata: { token_endpoint_auth_method: 'client_secret_post' },
    });
    otherApp = await registerAppClient(lean, { scope: SCOPE, name: 'Other App' });
    serviceClient = await registerClient(lean);
  });
  afterAll(async () => {
    await lean?.stop();
    await full?.stop();
    await removeSharedStore(env);
  });

  const isPosting = (app: AppClient) => app === postApp;
  /** `app`'s secret as its registered method sends it: posted, or in an HTTP Basic header. */
  const authenticated = (app: AppClient, form: Form, headers: Record<string, string> = {}) =>
    isPosting(app)
      ? { form: { ...form, client_id: app.clientId, client_secret: app.clientSecret! }, headers }
      : {
          form,
          headers: { authorization: basicAuth(app.clientId, app.clientSecret!), ...headers },
        };

  /** A sign-in by alice at the lean instance and its code redeemed: the token response. */
  const signInFor = async (app: AppClient, params: Record<string, string> = OFFLINE) => {
    const { callback, verifier } = await signIn(lean, app, new BrowserSession(), { params });
    const redemption = authenticated(app, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    const answer = await sendForm(lean, '/token', redemption.form, redemption.headers);
    expect(answer.status, answer.text).toBe(200);
    return JSON.parse(answer.text) as Record<string, string>;
  };

  /** Two equal grants: one refresh token for the lean instance, one for the full one. */
  const twoGrants = async (app: AppClient, params?: Record<string, string>) => {
    const leanGrant = await signInFor(app, params);
    const fullGrant = await signInFor(app, params);
    return [leanGrant['refresh_token']!, fullGrant['refresh_token']!] as const;
  };

  /** A refresh of `tokens[0]` at the lean instance and of `tokens[1]` at the full one. */
  const refreshAtBoth = async (
    app: AppClient,
    tokens: readonly [string, string],
    extra: Form = {},
    extraHeaders: Record<string, string> = {},
  ) => {
    const send = (t: TestTessera, token: string) => {
      const request = authenticated(
        app,
        { grant_type: 'refresh_token', refresh_token: token, ...extra },
        extraHeaders,
      );
      return sendForm(t, '/token', request.form, request.headers);
    };
    const before = await leanResponses(lean, 'refresh');
    const leanAnswer = await send(lean, tokens[0]);
    const served = (await leanResponses(lean, 'refresh')) - before;
    const fullAnswer = await send(full, tokens[1]);
    return { leanAnswer, fullAnswer, served };
  };

  const models = () => lean.tessera.storage.oidcModels;
  const bodyOf = (answer: Answer) => JSON.parse(answer.text) as Record<string, string>;

  /** What the store holds after a rotation: the new and the consumed refresh token, the access token. */
  const storedAfter = async (answer: Answer, presented: string) => {
    const body = bodyOf(answer);
    const accessToken = body['access_token']!;
    const records = await Promise.all([
      models().find('RefreshToken', body['refresh_token']!),
      models().find('RefreshToken', presented),
      // A JWT access token is not stored by its value (jwt-access-token-records.ts).
      accessToken.includes('.') ? undefined : models().find('AccessToken', accessToken),
    ]);
    return records.map((record) => record && sameShape(record as Record<string, unknown>));
  };

  describe.each([
    ['every scope the grant holds, with an ID token', OFFLINE, {}, 'FORM'],
    ['a narrower scope with openid, with an ID token', OFFLINE, { scope: 'openid' }, 'FORM'],
    ['a narrower scope without openid, without an ID token', OFFLINE, { scope: 'profile' }, 'FORM'],
    ['a JWT for the resource the grant holds', OFFLINE_API, {}, 'FORM'],
    ['a JWT for the resource asked for again', OFFLINE_API, { resource: API }, 'FORM'],
    ['a narrowed JWT scope', OFFLINE_API, { scope: 'openid orders:read' }, 'FORM'],
    ['a refresh as openid-client sends it', OFFLINE, {}, 'UTF8_FORM'],
  ] as const)('rotates for %s as oidc-provider does', (_name, grant, extra, contentType) => {
    it.each(['client_secret_basic', 'client_secret_post'] as const)(
      'with %s: same status, headers, body, tokens and stored records',
      async (method) => {
        const app = method === 'client_secret_basic' ? basicApp : postApp;
        const presented = await twoGrants(app, grant);
        const headers = contentType === 'UTF8_FORM' ? { 'content-type': UTF8_FORM } : {};
        const { leanAnswer, fullAnswer, served } = await refreshAtBoth(
          app,
          presented,
          extra,
          headers,
        );
        expect(leanAnswer.status, leanAnswer.text).toBe(200);
        expect(served).toBe(1);
        expect(comparable(leanAnswer)).toEqual(comparable(fullAnswer));
        expect('id_token' in bodyOf(leanAnswer)).toBe(
          ('scope' in extra ? extra.scope : grant.scope).split(' ').includes('openid'),
        );

        const [leanStored, fullStored] = await Promise.all([
          storedAfter(leanAnswer, presented[0]),
          storedAfter(fullAnswer, presented[1]),
        ]);
        expect(leanStored[0]).toBeDefined();
        expect(leanStored[1]?.values['consumed']).toBeDefined();
        expect(leanStored).toEqual(fullStored);

        // The rotated token works at the other instance (one store).
        const next = await refreshAtBoth(app, [
          bodyOf(fullAnswer)['refresh_token']!,
          bodyOf(leanAnswer)['refresh_token']!,
        ]);
        expect([next.leanAnswer.status, next.fullAnswer.status]).toEqual([200, 200]);
      },
    );
  });

  it.each([
    ['an unknown refresh token', 'unknown', {}],
    ["another client's refresh token", 'other-client', {}],
    ['a scope the grant does not hold', 'own', { scope: 'openid email' }],
  ] as const)(
    'refuses %s byte for byte as oidc-provider does, and answers it itself',
    async (_name, whose, extra) => {
      const token =
        whose === 'unknown'
          ? 'rt~not-a-refresh-token-this-store-holds'
          : (await signInFor(whose === 'own' ? basicApp : otherApp))['refresh_token']!;
      const { leanAnswer, fullAnswer, served } = await refreshAtBoth(
        basicApp,
        [token, token],
        extra,
      );
      expect(leanAnswer.status).toBe(400);
      expect(served).toBe(1);
      expect(exactly(leanAnswer)).toEqual(exactly(fullAnswer));
      // Refused before the rotation: the token still works.
      if (whose !== 'unknown') {
        const retry = await refreshAtBoth(whose === 'own' ? basicApp : otherApp, [token, token]);
        expect(retry.leanAnswer.status).toBe(200);
      }
    },
  );

  it('refuses a resource the grant does not hold after rotating, as oidc-provider does, running the handler once', async () => {
    // lib/actions/grants/refresh_token.js consumes the token before resolve_resource.js refuses
    // the resource: a second run (a hand-over to oidc-provider) would see a consumed token and
    // answer invalid_grant after revoking the grant.
    const presented = await twoGrants(basicApp);
    const { leanAnswer, fullAnswer, served } = await refreshAtBoth(basicApp, presented, {
      resource: 'https://nowhere.example',
    });
    expect(leanAnswer.status).toBe(400);
    expect(bodyOf(leanAnswer)['error']).toBe('invalid_target');
    expect(served).toBe(1);
    expect(exactly(leanAnswer)).toEqual(exactly(fullAnswer));
    const [leanRecord, fullRecord] = await Promise.all(
      presented.map((token) => models().find('RefreshToken', token)),
    );
    expect(leanRecord?.['consumed']).toBeDefined();
    expect(fullRecord?.['consumed']).toBeDefined();
    const grantIds = [leanRecord?.['grantId'], fullRecord?.['grantId']].map(String);
    expect(await models().find('Grant', grantIds[0]!)).toBeDefined();
  });

  it('refuses a consumed refresh token as oidc-provider does and revokes its whole grant', async () => {
    const presented = await twoGrants(basicApp);
    const rotation = await refreshAtBoth(basicApp, presented);
    expect([rotation.leanAnswer.status, rotation.fullAnswer.status]).toEqual([200, 200]);
    const issued = [bodyOf(rotation.leanAnswer), bodyOf(rotation.fullAnswer)];
    const grantIds = await Promise.all(
      issued.map(async (body) => {
        const record = await models().find('RefreshToken', body['refresh_token']!);
        return String(record?.['grantId']);
      }),
    );
    expect(await models().find('Grant', grantIds[0]!)).toBeDefined();

    const { leanAnswer, fullAnswer, served } = await refreshAtBoth(basicApp, presented);
    expect(leanAnswer.status).toBe(400);
    expect(bodyOf(leanAnswer)['error']).toBe('invalid_grant');
    expect(served).toBe(1);
    expect(exactly(leanAnswer)).toEqual(exactly(fullAnswer));

    // RFC 9700 section 4.14.2: the reuse ended the grant, in either instance's handling.
    for (const [i, body] of issued.entries()) {
      expect(await models().find('Grant', grantIds[i]!)).toBeUndefined();
      expect(await models().find('RefreshToken', body['refresh_token']!)).toBeUndefined();
      expect(await models().find('RefreshToken', presented[i]!)).toBeUndefined();
      expect(await models().find('AccessToken', body['access_token']!)).toBeUndefined();
    }
  });

  it.each([
    ['a wrong client secret', 'wrong-secret', {}, 401],
    ['a parameter the path does not know', 'own', { extra: 'x' }, 200],
    ['a DPoP header', 'dpop', {}, 400],
    ['an Origin header', 'origin', {}, 400],
    ['no client secret', 'public', {}, 401],
    ['two resources', 'own', { resource: [API, 'https://nowhere.example'] }, 400],
    ['a scope with invalid characters', 'own', { scope: 'a"b' }, 400],
    ['a client not registered for the grant', 'cc-client', {}, 400],
  ] as const)(
    'leaves a refresh with %s to oidc-provider, which answers it alike',
    async (_name, how, extra, status) => {
      const own = basicAuth(basicApp.clientId, basicApp.clientSecret!);
      const headers: Record<typeof how, Record<string, string>> = {
        own: { authorization: own },
        'wrong-secret': { authorization: basicAuth(basicApp.clientId, 'not-the-secret') },
        dpop: { authorization: own, dpop: 'not.a.proof' },
        origin: { authorization: own, origin: 'https://app.example.com' },
        public: {},
        'cc-client': {
          authorization: basicAuth(serviceClient.clientId, serviceClient.clientSecret),
        },
      };
      // Two grants: a request that gets as far as the rotation consumes the token it presents.
      const formFor = (token: string): Form => ({
        grant_type: 'refresh_token',
        refresh_token: token,
        ...(how === 'public' ? { client_id: basicApp.clientId } : {}),
        ...extra,
      });
      const presented = await twoGrants(basicApp);
      const before = await leanResponses(lean, 'refresh');
      const leanAnswer = await sendForm(lean, '/token', formFor(presented[0]), headers[how]);
      expect((await leanResponses(lean, 'refresh')) - before).toBe(0);
      const fullAnswer = await sendForm(full, '/token', formFor(presented[1]), headers[how]);
      expect(leanAnswer.status, leanAnswer.text).toBe(status);
      expect(comparable(leanAnswer)).toEqual(comparable(fullAnswer));
    },
  );

  it('is off when turned off: the full instance counts no lean refresh', async () => {
    await refreshAtBoth(basicApp, await twoGrants(basicApp));
    expect(await leanResponses(full, 'refresh')).toBe(0);
    expect(await leanResponses(lean, 'refresh')).toBeGreaterThan(0);
  });

  // Last: moves the instances' clock past every refresh token's expiry.
  it('refuses an expired refresh token byte for byte as oidc-provider does', async () => {
    const presented = await twoGrants(basicApp);
    clock.advance(PAST_EVERY_TTL);
    const { leanAnswer, fullAnswer, served } = await refreshAtBoth(basicApp, presented);
    expect(leanAnswer.status).toBe(400);
    expect(bodyOf(leanAnswer)['error']).toBe('invalid_grant');
    expect(served).toBe(1);
    expect(exactly(leanAnswer)).toEqual(exactly(fullAnswer));
  });
});
