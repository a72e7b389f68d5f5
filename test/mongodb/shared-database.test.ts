import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dropMongoDatabase, freshDatabaseName } from '../helpers/mongodb-storage.ts';
import {
  listeningUrl,
  registerClient,
  relyingPartyAt,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { mongodbUri } from '../helpers/services.ts';
import { startTestTessera, testSecrets, type TestTessera } from '../helpers/test-tessera.ts';

const ISSUER = 'http://id.tessera.test';
const API = 'https://payments.example.com/v1';

// Two instances behind one issuer, as replicas behind a load balancer would run.
describe('two Tessera instances sharing one MongoDB database', () => {
  const uri = () => mongodbUri();
  const dbName = freshDatabaseName();
  let first: TestTessera;
  let second: TestTessera;
  let firstUrl: string;
  let secondUrl: string;

  beforeAll(async () => {
    const env = {
      MONGODB_URI: uri(),
      MONGODB_DB: dbName,
      TESSERA_ISSUER: ISSUER,
      ...testSecrets(),
    };
    first = await startTestTessera(env);
    second = await startTestTessera(env);
    firstUrl = listeningUrl(first);
    secondUrl = listeningUrl(second);
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await dropMongoDatabase(uri(), dbName);
  });

  const relyingParties = async (client: RegisteredClient) => ({
    atFirst: await relyingPartyAt(firstUrl, client),
    atSecond: await relyingPartyAt(secondUrl, client),
  });

  it('lets a client created through one instance obtain tokens from the other at once', async () => {
    const client = await registerClient(first);
    const { atSecond } = await relyingParties(client);
    const response = await oidc.clientCredentialsGrant(atSecond);
    expect(response.access_token).toEqual(expect.any(String));
  });

  it('introspects at one instance a token issued by the other, and a revocation at either ends it for both', async () => {
    const client = await registerClient(first);
    const { atFirst, atSecond } = await relyingParties(client);
    const { access_token: token } = await oidc.clientCredentialsGrant(atFirst);

    expect(await oidc.tokenIntrospection(atSecond, token)).toMatchObject({
      active: true,
      client_id: client.clientId,
      iss: ISSUER,
    });
    await oidc.tokenRevocation(atSecond, token);
    expect(await oidc.tokenIntrospection(atFirst, token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(atSecond, token)).toEqual({ active: false });
  });

  it('serves one JWKS from both, so a JWT issued by either verifies against the other', async () => {
    await second.tessera.resourceServers.create({ audience: API, scopes: ['charge'] });
    const client = await registerClient(second, { scope: 'charge' });
    const { atFirst } = await relyingParties(client);
    const { access_token: jwt } = await oidc.clientCredentialsGrant(atFirst, {
      resource: API,
      scope: 'charge',
    });

    const jwksAt = async (url: string) =>
      (await fetch(`${url}/jwks`)).json() as Promise<JSONWebKeySet>;
    const secondJwks = await jwksAt(secondUrl);
    expect(await jwksAt(firstUrl)).toEqual(secondJwks);
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(secondJwks), {
      issuer: ISSUER,
      audience: API,
    });
    expect(payload.client_id).toBe(client.clientId);
  });
});
