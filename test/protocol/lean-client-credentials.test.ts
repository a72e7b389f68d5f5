import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestClock } from '../contracts/storage-fixture.ts';
import { basicAuth, registerClient } from '../helpers/oauth-fixtures.ts';
import type { RegisteredClient } from '../helpers/oauth-fixtures.ts';
import {
  comparable,
  FORM,
  leanResponses,
  sendForm,
  sendToLeanAndFull,
  UTF8_FORM,
  withoutPerToken,
  type Answer,
  type Form,
} from '../helpers/lean-differential.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
} from '../helpers/storage-backends.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** One issuer for both instances, as two replicas behind one name: same `iss`, same realm. */
const ISSUER = 'https://id.example.test';
const JWT_API = 'https://orders.example.com/api';
const OPAQUE_API = 'https://ledger.example.com';
const DPOP_API = 'https://vault.example.com';
describe.each(STORAGE_BACKENDS)('lean client-credentials path (%s store)', (backend) => {
  let lean: TestTessera;
  /** The same deployment with the lean path off: oidc-provider's whole pipeline answers. */
  let full: TestTessera;
  let env: Record<string, string>;
  let basicClient: RegisteredClient;
  let postClient: RegisteredClient;
  const clock = createTestClock(Date.now());

  beforeAll(async () => {
    env = { ...sharedStoreEnv(backend), TESSERA_ISSUER: ISSUER };
    lean = await startTestTessera(env, { clock });
    full = await startTestTessera(env, { clock, leanTokenPath: false });
    await lean.tessera.resourceServers.create({
      audience: JWT_API,
      scopes: ['orders:read', 'orders:write'],
    });
    await lean.tessera.resourceServers.create({
      audience: OPAQUE_API,
      scopes: ['ledger:read'],
      accessTokenFormat: 'opaque',
      accessTokenTtl: 120,
    });
    await lean.tessera.resourceServers.create({
      audience: DPOP_API,
      scopes: ['vault:read'],
      requireDpop: true,
    });
    const scope = 'orders:read orders:write ledger:read vault:read';
    basicClient = await registerClient(lean, { scope });
    postClient = await registerClient(lean, { scope, authMethod: 'client_secret_post' });
  });
  afterAll(async () => {
    await lean?.stop();
    await full?.stop();
    await removeSharedStore(env);
  });

  /** The same request to both; the lean instance's answer, the full one's, and lean's count. */
  const sendToBoth = (form: Form, headers: Record<string, string> = {}) =>
    sendToLeanAndFull({ lean, full }, 'token', '/token', form, headers);

  const basic = (client: RegisteredClient = basicClient) => ({
    authorization: basicAuth(client.clientId, client.clientSecret),
  });
  const posted = (client: RegisteredClient = postClient) => ({
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });

  const accessTokenOf = (answer: Answer) =>
    String((JSON.parse(answer.text) as Record<string, unknown>)['access_token']);

  describe.each([
    ['a JWT for a resource server', { resource: JWT_API, scope: 'orders:read' }, FORM],
    ['a JWT with every scope', { resource: JWT_API, scope: 'orders:read orders:write' }, FORM],
    ['an opaque token without a resource', {}, FORM],
    ['an opaque token for an opaque resource server', { resource: OPAQUE_API }, FORM],
    ['a JWT asked for as openid-client asks', { resource: JWT_API }, UTF8_FORM],
  ] as const)('serves %s as oidc-provider does', (_name, grant, contentType) => {
    it.each(['client_secret_basic', 'client_secret_post'] as const)(
      'with %s: same status, headers, body, token, stored record and introspection',
      async (method) => {
        const form = { grant_type: 'client_credentials', ...grant };
        const { leanAnswer, fullAnswer, served } = await sendToBoth(
          method === 'client_secret_basic' ? form : { ...form, ...posted() },
          { 'content-type': contentType, ...(method === 'client_secret_basic' ? basic() : {}) },
        );
        expect(leanAnswer.status, leanAnswer.text).toBe(200);
        expect(served).toBe(1);
        expect(comparable(leanAnswer)).toEqual(comparable(fullAnswer));

        const tokens = [accessTokenOf(leanAnswer), accessTokenOf(fullAnswer)];
        const stored = await Promise.all(
          tokens.map((token) => lean.tessera.storage.oidcModels.find('ClientCredentials', token)),
        );
        const [leanRecord, fullRecord] = stored.map((record) =>
          record ? withoutPerToken(record as Record<string, unknown>) : undefined,
        );
        expect(leanRecord).toEqual(fullRecord);

        const introspections = await Promise.all(
          tokens.map(async (token) => {
            // Asked by the token's own client, authenticated as it authenticated for it.
            const answer =
              method === 'client_secret_basic'
                ? await sendForm(full, '/token/introspection', { token }, basic())
                : await sendForm(full, '/token/introspection', { token, ...posted() });
            const body = JSON.parse(answer.text) as Record<string, unknown>;
            expect(body['active']).toBe(true);
            return withoutPerToken(body);
          }),
        );
        expect(introspections[0]).toEqual(introspections[1]);
      },
    );
  });

  it.each([
    ['a wrong secret', { grant_type: 'client_credentials' }, 'wrong-secret'],
    ['an unknown client', { grant_type: 'client_credentials' }, 'unknown-client'],
    [
      'a post client authenticating with Basic',
      { grant_type: 'client_credentials' },
      'post-as-basic',
    ],
    ['a Basic client posting its secret', { grant_type: 'client_credentials' }, 'basic-as-post'],
    ['two authentication methods at once', { grant_type: 'client_credentials' }, 'both'],
    [
      'a scope the client is not allowed',
      { grant_type: 'client_credentials', scope: 'admin' },
      'basic',
    ],
    [
      'a resource server scope without its resource',
      { grant_type: 'client_credentials', scope: 'orders:read' },
      'basic',
    ],
    [
      'an unregistered resource',
      { grant_type: 'client_credentials', resource: 'https://nowhere.example' },
      'basic',
    ],
    [
      'a scope the resource does not offer',
      { grant_type: 'client_credentials', resource: OPAQUE_API, scope: 'orders:read' },
      'basic',
    ],
    [
      'a resource that requires DPoP, without a proof',
      { grant_type: 'client_credentials', resource: DPOP_API },
      'basic',
    ],
    [
      'two resources',
      { grant_type: 'client_credentials', resource: [JWT_API, OPAQUE_API] },
      'basic',
    ],
    ['grant_type twice', { grant_type: ['client_credentials', 'client_credentials'] }, 'basic'],
    [
      'a scope with invalid characters',
      { grant_type: 'client_credentials', scope: 'a"b' },
      'basic',
    ],
    ['an empty scope', { grant_type: 'client_credentials', scope: '' }, 'basic'],
    ['another grant type', { grant_type: 'refresh_token', refresh_token: 'rt~nothing' }, 'basic'],
    ['an unknown grant type', { grant_type: 'password', username: 'a', password: 'b' }, 'basic'],
    ['no grant type', {}, 'basic'],
    ['a DPoP header', { grant_type: 'client_credentials' }, 'dpop'],
    [
      'a parameter the path does not know',
      { grant_type: 'client_credentials', extra: 'x' },
      'basic',
    ],
    ['an Origin header', { grant_type: 'client_credentials' }, 'origin'],
    ['another charset', { grant_type: 'client_credentials' }, 'latin1'],
  ] as const)('leaves %s to oidc-provider, which answers it alike', async (_name, form, auth) => {
    const other = { clientId: basicClient.clientId, clientSecret: 'not-the-secret' };
    const unknown = { clientId: 'cl_unknown', clientSecret: basicClient.clientSecret };
    const credentials: Record<typeof auth, [Form, Record<string, string>]> = {
      basic: [{}, basic()],
      'wrong-secret': [{}, basic(other)],
      'unknown-client': [{}, basic(unknown)],
      'post-as-basic': [{}, basic(postClient)],
      'basic-as-post': [posted(basicClient), {}],
      both: [posted(basicClient), basic()],
      dpop: [{}, { ...basic(), dpop: 'not.a.proof' }],
      origin: [{}, { ...basic(), origin: 'https://app.example.com' }],
      latin1: [{}, { ...basic(), 'content-type': `${FORM}; charset=iso-8859-1` }],
    };
    const [extraForm, headers] = credentials[auth];
    const { leanAnswer, fullAnswer, served } = await sendToBoth({ ...form, ...extraForm }, headers);
    expect(served).toBe(0);
    expect(comparable(leanAnswer)).toEqual(comparable(fullAnswer));
  });

  it('leaves an expired secret to oidc-provider, which refuses it alike', async () => {
    const expiring = await lean.tessera.clients.addSecret(basicClient.clientId, clock() + 60_000);
    const client = { clientId: basicClient.clientId, clientSecret: expiring.secret };
    const form = { grant_type: 'client_credentials' };
    const live = await sendToBoth(form, basic(client));
    expect(live.served).toBe(1);

    clock.advance(120_000);
    const { leanAnswer, fullAnswer, served } = await sendToBoth(form, basic(client));
    expect(served).toBe(0);
    expect(leanAnswer.status).toBe(401);
    expect(comparable(leanAnswer)).toEqual(comparable(fullAnswer));
  });

  it('is off when turned off: the full instance counts no lean response', async () => {
    await sendToBoth({ grant_type: 'client_credentials' }, basic());
    expect(await leanResponses(full, 'token')).toBe(0);
    expect(await leanResponses(lean, 'token')).toBeGreaterThan(0);
  });
});
