import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken } from '../helpers/admin-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { dropMongoDatabase, freshDatabaseName } from '../helpers/mongodb-storage.ts';
import { basicAuth, postForm } from '../helpers/oauth-fixtures.ts';
import { mongodbUri } from '../helpers/services.ts';
import { signedCookie } from '../helpers/signed-cookies.ts';
import {
  authorizationRequest,
  createUser,
  postRefresh,
  registerAppClient,
  REDIRECT_URI,
  signIn,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, type StorageBackend } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** Every string a store holds: each column or field, and each string inside stored JSON. */
function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    into.add(value);
    if (value.startsWith('{') || value.startsWith('[')) {
      try {
        collectStrings(JSON.parse(value), into);
      } catch {
        // Not JSON: the string itself is already collected.
      }
    }
    return;
  }
  if (Array.isArray(value)) for (const item of value) collectStrings(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into.add(key);
      collectStrings(item, into);
    }
  }
}

function dumpSqlite(dataDir: string): Set<string> {
  const db = new DatabaseSync(join(dataDir, 'tessera.sqlite'), { readOnly: true });
  try {
    const strings = new Set<string>();
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all()) collectStrings(row, strings);
    }
    return strings;
  } finally {
    db.close();
  }
}

async function dumpMongo(dbName: string): Promise<Set<string>> {
  const client = new MongoClient(mongodbUri());
  try {
    const db = client.db(dbName);
    const strings = new Set<string>();
    for (const { name } of await db.listCollections().toArray()) {
      for (const document of await db.collection(name).find({}).toArray()) {
        collectStrings(JSON.parse(JSON.stringify(document)), strings);
      }
    }
    return strings;
  } finally {
    await client.close();
  }
}

/** Runs `work` over `items`, `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

interface HandedOut {
  adminToken: string;
  accessToken: string;
  refreshToken: string;
  idToken: string;
  code: string;
  sessionCookie: string;
  interactionUid: string;
  requestUri: string;
  clientSecret: string;
}

describe.each(STORAGE_BACKENDS)('what a copy of the %s store hands an attacker', (backend) => {
  const cookieKey = randomBytes(32).toString('base64url');
  const dbName = freshDatabaseName();
  let t: TestTessera;
  let app: AppClient;
  let given: HandedOut;
  let twinRequestUri: string;

  const storeStrings = () => (backend === 'sqlite' ? dumpSqlite(t.dataDir) : dumpMongo(dbName));

  beforeAll(async () => {
    const env: Record<string, string> = { ...CHEAP_ARGON2, TESSERA_COOKIE_KEYS: cookieKey };
    if (backend === ('mongodb' satisfies StorageBackend)) {
      Object.assign(env, { MONGODB_URI: mongodbUri(), MONGODB_DB: dbName });
    }
    t = await startTestTessera(env);
    await createUser(t);
    app = await registerAppClient(t);
    const admin = await issueToken(t);

    // A signed-in browser with a session, then tokens from a code it redeemed.
    const { tokens, browser } = await signInAndRedeem(t, app, new BrowserSession(), {
      params: { scope: 'openid profile offline_access', prompt: 'consent' },
    });
    // A second code in the same browser, left unredeemed (it renews the session id); without
    // PKCE, so that the code alone would be enough to redeem it.
    const { callback } = await signIn(t, app, browser, { pkce: false });
    const session = browser.cookiesFor(`${t.issuer}/auth`).get('_session');
    // An interaction in progress in another browser: its uid is in the URL and a cookie.
    const pending = new BrowserSession();
    const { url } = await authorizationRequest(app);
    const { page } = await pending.follow(url.href, t.issuer);
    const interactionUid = /\/interaction\/([^/?#]+)/.exec(page.url)?.[1];
    // Pushed authorization requests (RFC 9126). A request_uri works once, so the one shown to
    // work below is a twin of the one left unused in the store.
    const push = () =>
      postForm(
        `${t.issuer}/request`,
        new URLSearchParams({
          response_type: 'code',
          client_id: app.clientId,
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        }).toString(),
        { authorization: basicAuth(app.clientId, app.clientSecret!) },
      );
    const par = await push();
    const twin = await push();

    expect(session).toBeDefined();
    expect(interactionUid).toBeDefined();
    expect(par.status).toBe(201);
    expect(twin.status).toBe(201);
    twinRequestUri = String(twin.body['request_uri']);
    given = {
      adminToken: admin.token,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token!,
      idToken: tokens.id_token!,
      code: callback.searchParams.get('code')!,
      sessionCookie: session!,
      interactionUid: interactionUid!,
      requestUri: String(par.body['request_uri']),
      clientSecret: app.clientSecret!,
    };
  });

  afterAll(async () => {
    await t.stop();
    if (backend === 'mongodb') await dropMongoDatabase(mongodbUri(), dbName);
  });

  const asBearer = (token: string) =>
    fetch(`${t.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
  const asAdmin = (token: string) => adminClient(t, token)('GET', '/clients');
  const asSession = (sessionId: string) =>
    authorizationRequest(app, { params: { prompt: 'none' } }).then(({ url }) =>
      fetch(url, {
        redirect: 'manual',
        headers: { cookie: signedCookie('_session', sessionId, cookieKey) },
      }),
    );
  const asPushedRequest = async (requestUri: string) => {
    const params = new URLSearchParams({ client_id: app.clientId, request_uri: requestUri });
    const response = await fetch(`${t.issuer}/auth?${params.toString()}`, { redirect: 'manual' });
    return (response.headers.get('location') ?? '').includes('/interaction/');
  };
  const grantedCode = (response: Response) =>
    new URL(response.headers.get('location') ?? 'x:').searchParams.has('code');

  it('serves the handed-out values themselves (so the refusals below mean something)', async () => {
    expect((await asBearer(given.accessToken)).status).toBe(200);
    expect((await asAdmin(given.adminToken)).status).toBe(200);
    expect(grantedCode(await asSession(given.sessionCookie))).toBe(true);
    expect(await asPushedRequest(twinRequestUri)).toBe(true);
  });

  it('holds none of the values it handed out, not even inside another value', async () => {
    const stored = [...(await storeStrings())];
    for (const [kind, value] of Object.entries(given)) {
      const requestId = value.replace('urn:ietf:params:oauth:request_uri:', '');
      const holding = stored.filter((text) => text.includes(requestId));
      expect(holding, `the store holds the ${kind}`).toEqual([]);
    }
  });

  it('accepts nothing it stores as a bearer token, refresh token, code, session or interaction', async () => {
    const candidates = [...(await storeStrings())].filter(
      (text) => text.length >= 16 && text.length <= 4096 && !/\s/.test(text),
    );
    expect(candidates.length).toBeGreaterThan(20);
    const accepted: string[] = [];
    await eachLimited(candidates, 8, async (candidate) => {
      const checks: [string, () => Promise<boolean>][] = [
        ['bearer token', async () => (await asBearer(candidate)).status === 200],
        ['admin token', async () => (await asAdmin(candidate)).status === 200],
        ['refresh token', async () => (await postRefresh(t, app, candidate)).status === 200],
        [
          'authorization code',
          async () =>
            (
              await postForm(
                `${t.issuer}/token`,
                new URLSearchParams({
                  grant_type: 'authorization_code',
                  code: candidate,
                  redirect_uri: REDIRECT_URI,
                }).toString(),
                { authorization: basicAuth(app.clientId, app.clientSecret!) },
              )
            ).status === 200,
        ],
        ['session cookie', async () => grantedCode(await asSession(candidate))],
        [
          'pushed authorization request',
          () => asPushedRequest(`urn:ietf:params:oauth:request_uri:${candidate}`),
        ],
        [
          'interaction',
          async () => {
            const response = await fetch(
              `${t.issuer}/interaction/${encodeURIComponent(candidate)}`,
              {
                headers: { cookie: signedCookie('_interaction', candidate, cookieKey) },
              },
            );
            return response.status === 200;
          },
        ],
      ];
      for (const [kind, check] of checks) {
        if (await check()) accepted.push(`${kind}: ${candidate}`);
      }
    });
    expect(accepted).toEqual([]);
  });
});
