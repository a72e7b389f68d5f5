import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runTessera } from '../helpers/cli-runner.ts';
import { spawnTessera, type TesseraProcess } from '../helpers/tessera-process.ts';

describe('the newcomer path', () => {
  let dataDir: string;
  let server: TesseraProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-newcomer-'));
    // Nothing but a data dir: development secrets are generated, as on a first `npm start`.
    server = await spawnTessera({ TESSERA_DATA_DIR: dataDir });
  });
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('goes from a fresh server to a verified access token with nothing but the CLI', async () => {
    const init = await runTessera(['init', '--json'], { TESSERA_DATA_DIR: dataDir });
    expect(init.code).toBe(0);
    const admin = init.json();
    const env = {
      TESSERA_URL: server.url,
      TESSERA_CLIENT_ID: admin.client_id,
      TESSERA_CLIENT_SECRET: admin.client_secret,
    };

    const api = await runTessera(
      [
        'resources',
        'create',
        '--audience',
        'https://orders.example.com',
        '--scope',
        'orders:read',
        '--json',
      ],
      env,
    );
    expect(api.code).toBe(0);

    const created = await runTessera(
      ['clients', 'create', '--name', 'order service', '--scope', 'orders:read', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const { client_id: clientId, client_secret: clientSecret } = created.json();

    const rp = await oidc.discovery(
      new URL(server.url),
      clientId,
      undefined,
      oidc.ClientSecretBasic(clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const token = await oidc.clientCredentialsGrant(rp, {
      resource: 'https://orders.example.com',
      scope: 'orders:read',
    });
    const { payload } = await jwtVerify(
      token.access_token,
      createRemoteJWKSet(new URL(rp.serverMetadata().jwks_uri!)),
      { issuer: server.url, audience: 'https://orders.example.com', typ: 'at+jwt' },
    );
    expect(payload).toMatchObject({ client_id: clientId, scope: 'orders:read' });
  });
});
