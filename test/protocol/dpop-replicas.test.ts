import { randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestClock } from '../contracts/storage-fixture.ts';
import {
  createDpopKey,
  dpopProof,
  postTokenRequest,
  type DpopKey,
} from '../helpers/dpop-proofs.ts';
import {
  listeningUrl,
  postForm,
  registerClient,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
} from '../helpers/storage-backends.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** One issuer for both replicas, as behind a load balancer: a proof's htu names it. */
const ISSUER = 'https://id.example.test';
const HTU = `${ISSUER}/token`;
const PARALLEL = 8;
/** oidc-provider's window for a proof's iat (lib/helpers/challenge.js), in seconds. */
const IAT_WINDOW = 300;

describe.each(STORAGE_BACKENDS)('DPoP proofs across two replicas (%s store)', (backend) => {
  let a: TestTessera;
  let b: TestTessera;
  let env: Record<string, string>;
  let client: RegisteredClient;
  let key: DpopKey;
  // The replicas' own clock, which the store's expiry follows; oidc-provider keeps the real one.
  const clock = createTestClock(Date.now());

  beforeAll(async () => {
    env = { ...sharedStoreEnv(backend), TESSERA_ISSUER: ISSUER };
    a = await startTestTessera(env, { clock });
    b = await startTestTessera(env, { clock });
    client = await registerClient(a);
    key = await createDpopKey();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await removeSharedStore(env);
  });

  const grantAt = (replica: TestTessera, proof: string) =>
    postTokenRequest(
      `${listeningUrl(replica)}/token`,
      client,
      { grant_type: 'client_credentials' },
      proof,
    );

  it('refuses at one replica a proof already used at the other', async () => {
    const proof = await dpopProof(key, { htu: HTU });
    expect((await grantAt(a, proof)).status).toBe(200);
    const replay = await grantAt(b, proof);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('lets exactly one of concurrent uses of one proof at both replicas succeed', async () => {
    const proof = await dpopProof(key, { htu: HTU });
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => grantAt(i % 2 === 0 ? a : b, proof)),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    for (const refused of answers.filter((answer) => answer.status !== 200)) {
      expect({ status: refused.status, error: refused.body.error }).toEqual({
        status: 400,
        error: 'invalid_grant',
      });
    }
  });

  it('accepts at one replica a nonce the other issued', async () => {
    const first = await grantAt(a, await dpopProof(key, { htu: HTU }));
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toEqual(expect.any(String));
    const answer = await grantAt(b, await dpopProof(key, { htu: HTU, nonce: nonce! }));
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('DPoP');
  });

  it('still refuses a future-dated proof once the first use is a window old, while its iat keeps it acceptable', async () => {
    // iat near the window's future edge: oidc-provider accepts the proof for almost two windows.
    const iat = Math.floor(Date.now() / 1000) + IAT_WINDOW - 10;
    const proof = await dpopProof(key, { htu: HTU, iat });
    expect((await grantAt(a, proof)).status).toBe(200);
    // oidc-provider's own record of the jti would have expired by now (RFC 9449 section 11.1).
    clock.advance((IAT_WINDOW + 1) * 1000);
    const replay = await grantAt(b, proof);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('refuses at one replica a private_key_jwt client assertion already used at the other', async () => {
    // The same replay record serves client assertions (oidc-provider lib/shared/jwt_client_auth.js).
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const { client: signer } = await a.tessera.clients.create({
      name: 'signer',
      metadata: {
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [jwk] },
      },
    });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(signer.clientId)
      .setSubject(signer.clientId)
      .setAudience(ISSUER)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(privateKey);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString();
    expect((await postForm(`${listeningUrl(a)}/token`, body)).status).toBe(200);
    const replay = await postForm(`${listeningUrl(b)}/token`, body);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
  });
});
