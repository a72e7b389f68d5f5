import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import { runTessera, stderrLines } from '../helpers/cli-runner.ts';
import { basicAuth, postForm, registerClient } from '../helpers/oauth-fixtures.ts';
import {
  authorizationRequest,
  registerAppClient,
  submitConsent,
  submitLogin,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

// A real export of Keycloak 26.7.3, made by scripts/keycloak/make-realm-export.sh.
const EXPORT = resolve(import.meta.dirname, '../fixtures/keycloak/realm-export.json');

// Set by the script that made the export (kcadm.sh create clients -s secret=…).
const ORDERS_WEB_SECRET = 'orders-web-secret-9f2c1d7e';
const BILLING_WORKER_SECRET = 'billing-worker-secret-51b0aa42';

const PASSWORDS = {
  alice: 'Correct-Horse-Battery-1', // pbkdf2-sha256
  bob: 'Sha512-Bob-Password-2', // pbkdf2-sha512
  carol: 'Argon2-Carol-Password-3', // argon2 (argon2id)
  erin: 'Unverified-Erin-Password-5', // pbkdf2-sha256, email not verified
  frank: 'Sha1-Frank-Password-6', // pbkdf2 (HMAC-SHA1): not accepted
} as const;

/** What the import of the fixture creates, in order. */
const CREATED = [
  'resource server https://orders.example.com (orders:read orders:write)',
  'resource server urn:keycloak:realm:tessera-demo (reports:read)',
  'client billing-worker',
  'client orders-spa',
  'client orders-web',
  'user alice',
  'user bob',
  'user carol',
  'user dave',
  'user erin',
  'user frank',
  'user grace',
];

/** What the fixture holds that Tessera has no place for, one line each. */
const NOT_CARRIED = [
  'user alice: roles auditor',
  'user frank: password hashed with pbkdf2, which Tessera does not accept; imported without a usable password',
  'user grace: no password; imported without a usable password',
  'realm role auditor',
  'client role orders-web/orders-admin',
  'group staff',
  'identity provider github',
  'authentication flow browser-with-otp',
  'password policy hashAlgorithm(argon2) and length(8) (Tessera applies its own)',
];

describe.each(STORAGE_BACKENDS)('tessera import keycloak (%s)', (backend) => {
  let t: TestTessera;
  let env: Record<string, string>;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, { ...CHEAP_ARGON2, LOG_LEVEL: 'error' });
    const admin = await registerClient(t, { scope: 'tessera:admin', name: 'admin' });
    env = {
      TESSERA_URL: t.issuer,
      TESSERA_CLIENT_ID: admin.clientId,
      TESSERA_CLIENT_SECRET: admin.clientSecret,
    };
  });
  afterAll(() => t?.stop());

  const storedHashOf = async (username: string) =>
    (await t.tessera.storage.accounts.getByUsernameKey(username))?.passwordHash;

  /** The hosted sign-in pages, submitted with `password`: true when back at the app. */
  async function signsIn(username: string, password: string): Promise<boolean> {
    const browser = new BrowserSession();
    const request = await authorizationRequest(app);
    const login = await browser.follow(request.url.href, t.issuer);
    let { page, leftTo } = await submitLogin(browser, t, login.page, username, password);
    if (!leftTo && page.body.includes('/confirm"')) {
      ({ page, leftTo } = await submitConsent(browser, t, page));
    }
    return leftTo?.searchParams.has('code') === true;
  }

  it('a dry run prints what it would create and what it leaves behind, and writes nothing', async () => {
    const run = await runTessera(['import', 'keycloak', EXPORT, '--dry-run'], {});
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual([
      ...CREATED.map((what) => `would create ${what}`),
      ...NOT_CARRIED.map((line) => `not carried over: ${line}`),
    ]);
    expect(await t.tessera.accounts.list({ limit: 10 })).toEqual([]);
    expect(await t.tessera.storage.clients.get('orders-web')).toBeUndefined();
    expect(await t.tessera.resourceServers.findByAudience('https://orders.example.com')).toBe(
      undefined,
    );
  });

  it('creates the resource servers, clients and users and reports what it left behind', async () => {
    const run = await runTessera(['import', 'keycloak', EXPORT, '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      dry_run: false,
      created: CREATED,
      not_carried: NOT_CARRIED,
      failed: [],
    });
    const users = await t.tessera.accounts.list({ limit: 10 });
    const byName = new Map(users.map((user) => [user.username, user]));
    expect(byName.get('alice')).toMatchObject({
      email: 'alice@example.com',
      emailVerified: true,
      givenName: 'Alice',
      familyName: 'Liddell',
      disabled: false,
    });
    expect(byName.get('dave')?.disabled).toBe(true);
    expect(byName.get('erin')?.emailVerified).toBe(false);
    const web = await t.tessera.storage.clients.get('orders-web');
    expect(web?.metadata).toMatchObject({
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [
        'https://orders.example.com/callback',
        'https://orders.example.com/silent-renew',
      ],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect((await t.tessera.storage.clients.get('orders-spa'))?.metadata).toMatchObject({
      token_endpoint_auth_method: 'none',
    });
    expect((await t.tessera.storage.clients.get('billing-worker'))?.metadata).toMatchObject({
      grant_types: ['client_credentials'],
      scope: 'orders:read reports:read',
    });
    app = await registerAppClient(t);
  });

  it.each(['alice', 'bob', 'carol'] as const)(
    '%s signs in with the Keycloak password, which is then rehashed to argon2id and still works',
    async (username) => {
      expect(await storedHashOf(username)).not.toMatch(/^\$argon2id\$v=19\$m=7168,t=1,p=1\$/);
      expect(await signsIn(username, PASSWORDS[username])).toBe(true);
      expect(await storedHashOf(username)).toMatch(/^\$argon2id\$v=19\$m=7168,t=1,p=1\$/);
      expect(await signsIn(username, PASSWORDS[username])).toBe(true);
    },
  );

  it('refuses a wrong password and keeps the imported hash', async () => {
    const before = await storedHashOf('erin');
    expect(before).toMatch(/^\$pbkdf2-sha256\$i=\d+\$/);
    expect(await signsIn('erin', `${PASSWORDS.erin}!`)).toBe(false);
    expect(await storedHashOf('erin')).toBe(before);
  });

  it('a user whose hash Tessera does not accept cannot sign in with the old password', async () => {
    expect(await storedHashOf('frank')).toBe('$unusable$');
    expect(await signsIn('frank', PASSWORDS.frank)).toBe(false);
  });

  it('an imported confidential client authenticates with its Keycloak secret', async () => {
    const grant = (secret: string) =>
      postForm(
        `${t.issuer}/token`,
        new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'orders:read',
          resource: 'https://orders.example.com',
        }).toString(),
        { authorization: basicAuth('billing-worker', secret) },
      );
    const granted = await grant(BILLING_WORKER_SECRET);
    expect(granted.status).toBe(200);
    expect(granted.body.scope).toBe('orders:read');
    expect((await grant(`${BILLING_WORKER_SECRET}x`)).status).toBe(401);
  });

  it('an imported web client signs a user in at its Keycloak redirect URI', async () => {
    const rp = await oidc.discovery(
      new URL(t.issuer),
      'orders-web',
      undefined,
      oidc.ClientSecretBasic(ORDERS_WEB_SECRET),
      { execute: [oidc.allowInsecureRequests] },
    );
    const web: AppClient = { clientId: 'orders-web', clientSecret: ORDERS_WEB_SECRET, rp };
    const request = await authorizationRequest(web, {
      params: { redirect_uri: 'https://orders.example.com/callback', scope: 'openid profile' },
    });
    const browser = new BrowserSession();
    const login = await browser.follow(request.url.href, t.issuer);
    let { page, leftTo } = await submitLogin(browser, t, login.page, 'alice', PASSWORDS.alice);
    if (!leftTo && page.body.includes('/confirm"')) {
      ({ page, leftTo } = await submitConsent(browser, t, page));
    }
    expect(leftTo?.origin).toBe('https://orders.example.com');
    const tokens = await oidc.authorizationCodeGrant(rp, leftTo!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.sub).toBe(
      (await t.tessera.storage.accounts.getByUsernameKey('alice'))?.id,
    );
  });

  it('prints once the new secret of a client whose secret the export masks, and it works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keycloak-masked-'));
    const file = join(dir, 'realm.json');
    writeFileSync(
      file,
      JSON.stringify({
        realm: 'masked',
        clients: [
          {
            clientId: 'masked-worker',
            secret: '**********',
            standardFlowEnabled: false,
            serviceAccountsEnabled: true,
          },
        ],
      }),
    );
    const run = await runTessera(['import', 'keycloak', file], env);
    rmSync(dir, { recursive: true, force: true });
    expect(run.code).toBe(0);
    const secret = /^created client masked-worker with the new secret (\S+) \(shown once/m.exec(
      run.stdout,
    )?.[1];
    expect(secret).toBeDefined();
    const granted = await postForm(`${t.issuer}/token`, 'grant_type=client_credentials', {
      authorization: basicAuth('masked-worker', secret!),
    });
    expect(granted.status).toBe(200);
  });

  it('a second import refuses what exists, names it and exits non-zero', async () => {
    const run = await runTessera(['import', 'keycloak', EXPORT], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('failed: user alice: username alice is taken');
    expect(stderrLines(run)).toEqual([
      `tessera: ${CREATED.length} object(s) of ${EXPORT} could not be imported`,
    ]);
  });
});

describe('tessera import keycloak with bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keycloak-import-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('names the file when it is not JSON', async () => {
    const file = write('broken.json', '{"realm": ');
    const run = await runTessera(['import', 'keycloak', file, '--dry-run']);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([expect.stringMatching(`^tessera: ${file}: not JSON`)]);
  });

  it('names the file and the object that is wrong, without a stack trace', async () => {
    const realm = JSON.parse(readFileSync(EXPORT, 'utf8')) as { users: { email: unknown }[] };
    (realm.users[1] as { email: unknown }).email = 42;
    const file = write('bad-user.json', JSON.stringify(realm));
    const run = await runTessera(['import', 'keycloak', file, '--dry-run']);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^tessera: ${file}: not a Keycloak realm export: users\\[1\\] \\(\\w+\\)\\.email: `,
        ),
      ),
    ]);
  });

  it('names a file it cannot read', async () => {
    const run = await runTessera(['import', 'keycloak', join(dir, 'missing.json')]);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      `tessera: ${join(dir, 'missing.json')}: cannot read it (ENOENT)`,
    ]);
  });
});
