import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import type { MongoClient } from 'mongodb';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openMongoStorage } from '../../adapters/mongodb/open-mongodb-storage.ts';
import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { OidcModelName } from '../../src/ports/oidc-models.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createRecordSealer, revealPayload } from '../../src/provider/model-record-protection.ts';
import { storageKeyOf } from '../../src/provider/stored-token-keys.ts';
import { findFreePort } from '../../scripts/test-services/ports.ts';
import { adminClient, issueToken } from '../helpers/admin-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { signedCookie } from '../helpers/signed-cookies.ts';
import { basicAuth, postForm } from '../helpers/oauth-fixtures.ts';
import {
  authorizationRequest,
  createUser,
  postRefresh,
  registerAppClient,
  REDIRECT_URI,
  signIn,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
} from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** The raw store under the same configuration a Tessera of `env` uses, without protection. */
async function openRawStore(env: Record<string, string>): Promise<Storage> {
  if (env['MONGODB_URI']) {
    return openMongoStorage({ uri: env['MONGODB_URI'], dbName: env['MONGODB_DB'] ?? '' });
  }
  return openSqliteStorage({ path: join(env['TESSERA_DATA_DIR'] ?? '', 'tessera.sqlite') });
}

/**
 * Puts records back the way a Tessera before hashed keys stored them: under the value itself,
 * its payload's `jti` the value, nothing sealed. Only records whose value the test knows.
 */
async function storeAsLegacy(
  raw: Storage,
  kek: Buffer,
  values: ReadonlyMap<OidcModelName, readonly string[]>,
): Promise<number> {
  const sealer = createRecordSealer(kek);
  let rewritten = 0;
  for (const [model, known] of values) {
    const byKey = new Map(known.map((value) => [storageKeyOf(value), value]));
    rewritten += await raw.oidcModels.rewriteAll(model, ({ id, payload }) => {
      const value = byKey.get(id);
      if (value === undefined) return undefined;
      return { id: value, payload: revealPayload(sealer, model, payload, value) };
    });
  }
  return rewritten;
}

describe.each(STORAGE_BACKENDS)(
  'tokens stored in the clear by an older Tessera (%s)',
  (backend) => {
    const env: Record<string, string> = { ...sharedStoreEnv(backend), ...CHEAP_ARGON2 };
    let t: TestTessera;
    let app: AppClient;
    const given = { access: '', refresh: '', admin: '', code: '', session: '' };

    beforeAll(async () => {
      // One issuer across the restart, as a deployment has.
      const port = await findFreePort();
      Object.assign(env, { PORT: String(port), TESSERA_ISSUER: `http://localhost:${port}` });
      const first = await startTestTessera(env);
      await createUser(first);
      app = await registerAppClient(first);
      given.admin = (await issueToken(first)).token;
      const browser = new BrowserSession();
      const redeemed = await signIn(first, app, browser, {
        params: { scope: 'openid offline_access', prompt: 'consent' },
      });
      const tokens = await postForm(
        `${first.issuer}/token`,
        new URLSearchParams({
          grant_type: 'authorization_code',
          code: redeemed.callback.searchParams.get('code') ?? '',
          redirect_uri: REDIRECT_URI,
          code_verifier: redeemed.verifier,
        }).toString(),
        { authorization: basicAuth(app.clientId, app.clientSecret!) },
      );
      given.access = String(tokens.body['access_token']);
      given.refresh = String(tokens.body['refresh_token']);
      const unredeemed = await signIn(first, app, browser, { pkce: false });
      given.code = unredeemed.callback.searchParams.get('code') ?? '';
      given.session = browser.cookiesFor(`${first.issuer}/auth`).get('_session') ?? '';
      await first.stop();
      // The same port serves again below: let this process's HTTP client see the old server's
      // connections close (one event-loop turn polls their FIN) before it could reuse one.
      await new Promise((resolve) => setImmediate(resolve));

      // The store as the previous version would have left it.
      const raw = await openRawStore(env);
      try {
        const kek = Buffer.from(env['TESSERA_KEY_ENCRYPTION_KEY'] ?? '', 'base64url');
        const rewritten = await storeAsLegacy(
          raw,
          kek,
          new Map<OidcModelName, string[]>([
            ['AccessToken', [given.access]],
            ['ClientCredentials', [given.admin]],
            ['RefreshToken', [given.refresh]],
            ['AuthorizationCode', [given.code]],
            ['Session', [given.session]],
          ]),
        );
        expect(rewritten).toBe(5);
        expect(await raw.oidcModels.find('RefreshToken', given.refresh)).toBeDefined();
        // Forget that the data migration ran, as a store from before it would.
        await forgetDataMigrations(raw, env);
      } finally {
        await raw.close();
      }

      t = await startTestTessera(env);
    });

    afterAll(async () => {
      await t.stop();
      await removeSharedStore(env);
    });

    it('re-keys them at startup: none is left in the store under its value', async () => {
      const raw = await openRawStore(env);
      try {
        expect(await raw.oidcModels.find('AccessToken', given.access)).toBeUndefined();
        expect(await raw.oidcModels.find('RefreshToken', given.refresh)).toBeUndefined();
        expect(await raw.oidcModels.find('Session', given.session)).toBeUndefined();
        expect(
          await raw.oidcModels.find('RefreshToken', storageKeyOf(given.refresh)),
        ).toBeDefined();
        expect(await raw.dataMigrations.completed()).toContain('oidc-model-keys-sha256');
      } finally {
        await raw.close();
      }
    });

    it('keeps every token, code and session handed out before working', async () => {
      const me = await fetch(`${t.issuer}/me`, {
        headers: { authorization: `Bearer ${given.access}` },
      });
      expect(me.status).toBe(200);
      expect((await adminClient(t, given.admin)('GET', '/clients')).status).toBe(200);

      const code = await postForm(
        `${t.issuer}/token`,
        new URLSearchParams({
          grant_type: 'authorization_code',
          code: given.code,
          redirect_uri: REDIRECT_URI,
        }).toString(),
        { authorization: basicAuth(app.clientId, app.clientSecret!) },
      );
      expect(code.status).toBe(200);

      const { url } = await authorizationRequest(app, { params: { prompt: 'none' } });
      const cookieKey = (env['TESSERA_COOKIE_KEYS'] ?? '').split(',')[0] ?? '';
      const response = await new BrowserSession().request(url.href, {
        headers: { cookie: signedCookie('_session', given.session, cookieKey) },
      });
      const location = new URL(response.headers.get('location') ?? 'x:');
      expect(location.searchParams.has('code')).toBe(true);

      // Last: a refresh-token replay revokes the grant this session's sign-ins share.
      expect((await postRefresh(t, app, given.refresh)).status).toBe(200);
      // Still single use after the move: the consumed refresh token stays consumed.
      expect((await postRefresh(t, app, given.refresh)).status).toBe(400);
    });
  },
);

async function forgetDataMigrations(raw: Storage, env: Record<string, string>): Promise<void> {
  if (raw.kind === 'mongodb') {
    const { client } = raw as Storage & { client: MongoClient };
    await client.db(env['MONGODB_DB']).collection('data_migrations').deleteMany({});
    return;
  }
  const db = new DatabaseSync(join(env['TESSERA_DATA_DIR'] ?? '', 'tessera.sqlite'));
  db.exec('DELETE FROM data_migrations');
  db.close();
}
