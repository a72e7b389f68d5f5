import { once } from 'node:events';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startExample } from '../helpers/example-consumer.ts';
import { callTokenEndpoint, untilSecondAfter } from '../helpers/jwt-access-tokens.ts';
import { createTopic } from '../helpers/kafka-events.ts';
import { registerClient, relyingParty, type RegisteredClient } from '../helpers/oauth-fixtures.ts';
import { kafkaBrokers } from '../helpers/services.ts';
import {
  createUser,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { waitFor } from '../helpers/tessera-process.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://photos.example.com/api';

describe('the example consumer (examples/revocation-consumer.ts)', () => {
  let t: TestTessera;
  let app: AppClient;
  let example: Awaited<ReturnType<typeof startExample>>;

  beforeAll(async () => {
    const brokers = kafkaBrokers();
    const topic = await createTopic(brokers);
    t = await startTestTessera({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      TESSERA_OUTBOX_POLL_MS: '100',
    });
    await createUser(t);
    await t.tessera.resourceServers.create({ audience: API, scopes: ['photos:read'] });
    app = await registerAppClient(t, {
      public: true,
      scope: 'openid offline_access photos:read',
    });
    example = await startExample({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      TESSERA_ISSUER: t.issuer,
      API_AUDIENCE: API,
    });
  });
  afterAll(async () => {
    example.child.kill('SIGTERM');
    await once(example.child, 'exit');
    await t.stop();
  });

  const photos = (token: string) =>
    fetch(`${example.url}/photos`, { headers: { authorization: `Bearer ${token}` } });
  /**
   * Resolves true once the example refuses `token` (401). Every JWT here is valid for an hour and
   * the example learns of revocations only from the events, so a refusal means one arrived; how
   * soon is the machine's business (the deadline only ends a failing test).
   */
  const refused = (token: string) =>
    waitFor(async () => ((await photos(token)).status === 401 ? true : undefined), undefined, 50);
  /** A service calling the API with a JWT from client credentials: recorded nowhere. */
  const serviceToken = async (service?: RegisteredClient) => {
    const client = service ?? (await registerClient(t, { scope: 'photos:read' }));
    const rp = await relyingParty(t, client);
    const { access_token: token } = await oidc.clientCredentialsGrant(rp, {
      scope: 'photos:read',
      resource: API,
    });
    return { client, clientId: client.clientId, token };
  };

  it('rejects a JWT access token once its grant is revoked, an hour before it expires, and keeps accepting others', async () => {
    const signIn = () =>
      signInAndRedeem(t, app, undefined, {
        params: { scope: 'openid offline_access photos:read', prompt: 'consent', resource: API },
      });
    const { tokens } = await signIn();
    const other = await signIn();
    expect((await photos(tokens.access_token)).status).toBe(200);

    const revokedAt = performance.now();
    await oidc.tokenRevocation(app.rp, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(await refused(tokens.access_token)).toBe(true);
    const seconds = (performance.now() - revokedAt) / 1000;
    console.log(`the example refused the revoked JWT ${seconds.toFixed(2)} s after the revocation`);
    expect(await (await photos(tokens.access_token)).json()).toEqual({
      error: 'invalid_token',
      error_description: 'the token was revoked',
    });
    expect((await photos(other.tokens.access_token)).status).toBe(200);
  });

  it('rejects every JWT of a deleted client, its client-credentials ones included', async () => {
    const doomed = await serviceToken();
    const kept = await serviceToken();
    expect((await photos(doomed.token)).status).toBe(200);

    await t.tessera.clients.delete(doomed.clientId);
    expect(await refused(doomed.token)).toBe(true);
    expect((await photos(kept.token)).status).toBe(200);
  });

  it('rejects a client-credentials JWT once it is revoked, and keeps accepting others', async () => {
    const revoked = await serviceToken();
    const other = await serviceToken(revoked.client);
    expect((await photos(revoked.token)).status).toBe(200);

    const answer = await callTokenEndpoint(t.issuer, 'revocation', revoked.client, revoked.token);
    expect(answer.status).toBe(200);

    expect(await refused(revoked.token)).toBe(true);
    expect(await (await photos(revoked.token)).json()).toEqual({
      error: 'invalid_token',
      error_description: 'the token was revoked',
    });
    expect((await photos(other.token)).status).toBe(200);
  });

  it('rejects the JWTs a client held when its tokens were revoked, and accepts those it gets after', async () => {
    const leaked = await serviceToken();
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { scope: 'openid offline_access photos:read', prompt: 'consent', resource: API },
    });
    const bystander = await serviceToken();
    for (const token of [leaked.token, tokens.access_token]) {
      expect((await photos(token)).status).toBe(200);
    }

    const revoked = await t.tessera.clients.revokeTokens(leaked.clientId);
    const appRevoked = await t.tessera.clients.revokeTokens(app.clientId);

    expect(await refused(leaked.token)).toBe(true);
    expect(await refused(tokens.access_token)).toBe(true);
    expect((await photos(bystander.token)).status).toBe(200);
    await untilSecondAfter(Math.max(revoked.issuedBefore, appRevoked.issuedBefore));
    const after = await serviceToken(leaked.client);
    expect((await photos(after.token)).status).toBe(200);
  });
});
