import * as oidc from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';

import { dropMongoDatabase, freshDatabaseName } from '../helpers/mongodb-storage.ts';
import { listeningUrl, registerClient, relyingPartyAt } from '../helpers/oauth-fixtures.ts';
import { mongodbUri } from '../helpers/services.ts';
import { spawnTessera } from '../helpers/tessera-process.ts';
import { startTestTessera, testSecrets } from '../helpers/test-tessera.ts';

const API = 'https://orders.example.com/api';

describe('a Tessera restart on MongoDB', () => {
  const databases: string[] = [];
  const environment = (): Record<string, string> => {
    const dbName = freshDatabaseName();
    databases.push(dbName);
    return { MONGODB_URI: mongodbUri(), MONGODB_DB: dbName, ...testSecrets() };
  };
  afterAll(async () => {
    for (const dbName of databases) await dropMongoDatabase(mongodbUri(), dbName);
  });

  it('keeps clients, resource servers, signing keys, tokens, grants and sessions', async () => {
    const env = { ...environment(), TESSERA_ISSUER: 'http://id.tessera.test' };
    const before = await startTestTessera(env);
    await before.tessera.resourceServers.create({ audience: API, scopes: ['orders:read'] });
    const client = await registerClient(before, { scope: 'orders:read' });
    const { access_token: token } = await oidc.clientCredentialsGrant(
      await relyingPartyAt(listeningUrl(before), client),
    );
    const jwks = await (await fetch(`${listeningUrl(before)}/jwks`)).json();
    // A grant and a session as oidc-provider saves them, through its own models. The grant's
    // resources are keyed by the resource URL: a key full of dots.
    const { provider } = before.tessera.holder.current();
    const grant = new provider.Grant({ accountId: 'user-1', clientId: client.clientId });
    grant.addOIDCScope('openid');
    grant.addResourceScope(API, 'orders:read');
    const grantId = await grant.save();
    const session = new provider.Session();
    session.accountId = 'user-1';
    session.loginTs = 1_700_000_000;
    await session.save(3600);
    await before.stop();

    const after = await startTestTessera(env);
    try {
      const url = listeningUrl(after);
      const rp = await relyingPartyAt(url, client);
      expect(await (await fetch(`${url}/jwks`)).json()).toEqual(jwks);
      expect(await oidc.tokenIntrospection(rp, token)).toMatchObject({ active: true });
      await expect(
        oidc.clientCredentialsGrant(rp, { resource: API, scope: 'orders:read' }),
      ).resolves.toHaveProperty('access_token');

      const restarted = after.tessera.holder.current().provider;
      const storedGrant = await restarted.Grant.find(grantId);
      expect(storedGrant?.accountId).toBe('user-1');
      expect(storedGrant?.resources).toEqual(grant.resources);
      expect(storedGrant?.openid).toEqual(grant.openid);
      expect((await restarted.Session.findByUid(session.uid))?.accountId).toBe('user-1');
    } finally {
      await after.stop();
    }
  });

  it(
    'serves the same signing keys from the real process after SIGTERM and a new start',
    { timeout: 60_000 },
    async () => {
      const env = environment();
      const first = await spawnTessera(env);
      const jwks = await (await fetch(`${first.url}/jwks`)).json();
      expect(first.output()).toContain('"msg":"MongoDB storage open"');
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      const second = await spawnTessera(env);
      try {
        expect(await (await fetch(`${second.url}/jwks`)).json()).toEqual(jwks);
        expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    },
  );
});
