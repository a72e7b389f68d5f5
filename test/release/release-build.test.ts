/**
 * The production image's build, performed without Docker (scripts/build-release.ts mirrors the
 * Dockerfile), then started the way the image starts it: `node dist/src/main.js` with
 * NODE_ENV=production, an https issuer behind a TLS-terminating proxy, and real secrets. Its
 * `tessera` bin runs the way the image's PATH entry runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildRelease, type ReleaseBuild } from '../../scripts/build-release.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { basicAuth } from '../helpers/oauth-fixtures.ts';
import { PATIENCE_MS } from '../helpers/patience.ts';
import { createServiceClient, seedTessera } from '../helpers/seed-tessera.ts';
import {
  runTesseraExpectingFailure,
  spawnTessera,
  type TesseraProcess,
} from '../helpers/tessera-process.ts';
import { formValue, PASSWORD } from '../helpers/sign-in-fixtures.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

const ISSUER = 'https://id.tessera.test';
const API = 'https://orders.tessera.test';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe('the release build (what the Dockerfile produces)', () => {
  let outDir: string;
  let dataDir: string;
  let release: ReleaseBuild;
  let entry: string;
  let productionEnv: Record<string, string>;
  let client: { clientId: string; clientSecret: string };
  let app: { clientId: string };
  let tessera: TesseraProcess;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'tessera-release-'));
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-release-data-'));
    release = await buildRelease(outDir);
    entry = join(release.appDir, 'dist/src/main.js');
    console.log(
      `release build: ${release.seconds.build.toFixed(1)} s (npm ci + tsc), ` +
        `${release.seconds.deps.toFixed(1)} s (production deps)`,
    );

    const secrets = testSecrets();
    client = await seedTessera({ TESSERA_DATA_DIR: dataDir, ...secrets }, async (seeded) => {
      await seeded.resourceServers.create({ audience: API, scopes: ['orders:read'] });
      await seeded.accounts.create({ username: 'release-user', password: PASSWORD });
      const web = await seeded.clients.create({
        name: 'release test app',
        metadata: {
          grant_types: ['authorization_code'],
          redirect_uris: ['https://app.tessera.test/callback'],
          token_endpoint_auth_method: 'none',
          scope: 'openid',
        },
      });
      app = { clientId: web.client.clientId };
      return createServiceClient(seeded, 'orders:read');
    });
    productionEnv = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      TESSERA_ISSUER: ISSUER,
      TESSERA_TRUST_PROXY: 'true',
      TESSERA_DATA_DIR: dataDir,
      ...secrets,
    };
    tessera = await spawnTessera(productionEnv, { entry, cwd: release.appDir });
  }, 300_000);

  afterAll(async () => {
    if (tessera?.child.exitCode === null) {
      tessera.child.kill('SIGTERM');
      await tessera.exited;
    }
    rmSync(outDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds the tessera bin, compiled JavaScript, package.json and production dependencies only', () => {
    expect(readdirSync(release.appDir).sort()).toEqual([
      'bin',
      'dist',
      'node_modules',
      'package.json',
    ]);
    expect(readdirSync(join(release.appDir, 'bin')).sort()).toEqual(['cli-entry.js', 'tessera.js']);
    const compiled = filesUnder(join(release.appDir, 'dist'));
    expect(compiled).toContain(join('src', 'main.js'));
    expect(compiled).toContain(join('src', 'healthcheck.js'));
    expect(compiled).toContain(join('src', 'cli', 'main.js'));
    expect(compiled).toContain(join('src', 'services', 'passwords', 'argon2-worker.js'));
    // TypeScript sources never; declarations only for the tessera/events export.
    expect(compiled.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(compiled).toContain(join('src', 'events', 'consumer.d.ts'));
    expect(
      compiled.filter((file) => file.endsWith('.d.ts') && !file.startsWith(join('src', 'events'))),
    ).toEqual([]);
    expect(
      compiled.filter((file) => file.startsWith('test') || file.startsWith('scripts')),
    ).toEqual([]);
    const modules = readdirSync(join(release.appDir, 'node_modules'));
    for (const devOnly of ['typescript', 'vitest', 'eslint', 'prettier', 'openid-client']) {
      expect(modules).not.toContain(devOnly);
    }
    expect(modules).toEqual(
      // yaml: `tessera plan/apply` read clients-as-code files (docs/clients-as-code.md).
      expect.arrayContaining(['oidc-provider', 'koa', 'pino', 'prom-client', 'yaml']),
    );
  });

  /** The authorization-code flow on the hosted pages, up to the successful sign-in. */
  async function signIn(username: string, password: string) {
    const proxy = { 'x-forwarded-proto': 'https', 'x-forwarded-host': new URL(ISSUER).host };
    const browser = new BrowserSession(proxy);
    const authorize = new URL(`${tessera.origin}/auth`);
    for (const [name, value] of Object.entries({
      client_id: app.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'https://app.tessera.test/callback',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })) {
      authorize.searchParams.set(name, value);
    }
    const started = await browser.request(authorize.href);
    const loginUrl = new URL(
      new URL(started.headers.get('location')!, ISSUER).pathname,
      tessera.origin,
    );
    const login = await browser.request(loginUrl.href);
    const signedIn = await browser.request(`${loginUrl.href}/login`, {
      form: { csrf: formValue(login.body, 'csrf'), username, password },
    });
    return { proxy, login, signedIn };
  }

  it('signs a person in on its hosted pages: templates, stylesheet and argon2 worker are built in', async () => {
    const { proxy, login, signedIn } = await signIn('release-user', PASSWORD);
    expect(login.status).toBe(200);
    expect(login.body).toContain('name="password"');
    const stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec(login.body)![1]!;
    expect((await fetch(new URL(stylesheet, tessera.origin), { headers: proxy })).status).toBe(200);
    // The password was checked on an argon2 worker thread started from dist/ (argon2-pool.js
    // loads argon2-worker.js there, argon2-worker.ts from the sources).
    expect(signedIn.status, signedIn.body).toBe(303);
    expect(new URL(signedIn.headers.get('location')!).pathname).toMatch(/^\/auth\//);
  });

  it(
    'runs the tessera bin the image links onto PATH: init, then users create, whose user signs in',
    async () => {
      // The Dockerfile links /usr/local/bin/tessera to /app/bin/tessera.js; the same link here.
      const pathDir = join(outDir, 'path');
      mkdirSync(pathDir);
      symlinkSync(join(release.appDir, 'bin', 'tessera.js'), join(pathDir, 'tessera'));
      const tesseraBin = (args: string[], env: Record<string, string>, input = '') =>
        spawnSync('tessera', args, {
          cwd: outDir,
          env: { PATH: `${pathDir}:${dirname(process.execPath)}`, ...env },
          input,
          encoding: 'utf8',
          timeout: PATIENCE_MS,
        });

      // Against the store, with the server's environment (docker exec inherits the container's).
      const init = tesseraBin(['init', '--json'], productionEnv);
      expect(init.status, init.stderr).toBe(0);
      const admin = JSON.parse(init.stdout) as { client_id: string; client_secret: string };

      // Through the admin API: the server hashes the password on its argon2 workers.
      const created = tesseraBin(
        ['users', 'create', '--username', 'image-user', '--password-stdin', '--json'],
        {
          TESSERA_URL: tessera.origin,
          TESSERA_CLIENT_ID: admin.client_id,
          TESSERA_CLIENT_SECRET: admin.client_secret,
        },
        `${PASSWORD}\n`,
      );
      expect(created.status, created.stderr).toBe(0);
      expect(JSON.parse(created.stdout)).toMatchObject({ username: 'image-user', disabled: false });

      const { signedIn } = await signIn('image-user', PASSWORD);
      expect(signedIn.status, signedIn.body).toBe(303);
    },
    3 * PATIENCE_MS,
  );

  it('answers /healthz and /readyz with 200 in production mode', async () => {
    const health = await fetch(`${tessera.origin}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${tessera.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('issues a client-credentials JWT for the https issuer behind a TLS-terminating proxy', async () => {
    const response = await fetch(`${tessera.origin}/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(client.clientId, client.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': new URL(ISSUER).host,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        resource: API,
        scope: 'orders:read',
      }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(200);

    const jwks = createRemoteJWKSet(new URL(`${tessera.origin}/jwks`));
    const { payload } = await jwtVerify(String(body.access_token), jwks, {
      issuer: ISSUER,
      audience: API,
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ client_id: client.clientId, scope: 'orders:read' });
  });

  it('passes its container health check (dist/src/healthcheck.js)', () => {
    const result = spawnSync(process.execPath, ['dist/src/healthcheck.js'], {
      cwd: release.appDir,
      env: { PORT: new URL(tessera.origin).port, HOST: '127.0.0.1' },
      encoding: 'utf8',
      timeout: PATIENCE_MS,
    });
    expect(result.status, result.stderr).toBe(0);
  });

  it('fails the container health check when nothing answers', async () => {
    const closed = await spawnTessera(productionEnv, { entry, cwd: release.appDir });
    closed.child.kill('SIGTERM');
    expect(await closed.exited).toBe(0);
    const result = spawnSync(process.execPath, ['dist/src/healthcheck.js'], {
      cwd: release.appDir,
      env: { PORT: new URL(closed.origin).port },
      encoding: 'utf8',
      timeout: PATIENCE_MS,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('healthcheck:');
  });

  it('refuses to start in production with development defaults, naming the variable', async () => {
    const result = await runTesseraExpectingFailure(
      { NODE_ENV: 'production', TESSERA_ISSUER: ISSUER, TESSERA_DATA_DIR: dataDir },
      { entry, cwd: release.appDir },
    );
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      'TESSERA_KEY_ENCRYPTION_KEY: required when NODE_ENV=production',
    );
    expect(existsSync(join(dataDir, 'dev-secrets.json'))).toBe(false);
  });

  it('refuses to start in production with an http issuer', async () => {
    const result = await runTesseraExpectingFailure(
      { ...productionEnv, TESSERA_ISSUER: 'http://id.tessera.test' },
      { entry, cwd: release.appDir },
    );
    expect(result.code).toBe(1);
    expect(result.output).toContain('TESSERA_ISSUER: must be an https URL');
  });

  it('drains and exits 0 on SIGTERM', async () => {
    tessera.child.kill('SIGTERM');
    expect(await tessera.exited).toBe(0);
    expect(tessera.output()).toContain('"msg":"stopped"');
  });
});
