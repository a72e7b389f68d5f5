import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestClock } from '../contracts/storage-fixture.ts';
import {
  exactly,
  leanResponses,
  sendForm,
  sendToLeanAndFull,
  type Form,
} from '../helpers/lean-differential.ts';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/oauth-fixtures.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
} from '../helpers/storage-backends.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** One issuer for both instances, as two replicas behind one name. */
const ISSUER = 'https://id.example.test';
const OPAQUE_API = 'https://ledger.example.com';
const JWT_API = 'https://orders.example.com/api';
const INTROSPECTION = '/token/introspection';

type Caller = 'owner' | 'post-owner' | 'introspector' | 'stranger' | 'wrong-secret';

describe.each(STORAGE_BACKENDS)('lean introspection path (%s store)', (backend) => {
  let lean: TestTessera;
  /** The same deployment with the lean paths off: oidc-provider's whole pipeline answers. */
  let full: TestTessera;
  let env: Record<string, string>;
  let owner: RegisteredClient;
  let postOwner: RegisteredClient;
  let introspector: RegisteredClient;
  let stranger: RegisteredClient;
  const tokens: Record<string, string> = {};
  const clock = createTestClock(Date.now());

  /** A token issued by the full instance (the lean one would mint it alike). */
  async function issue(client: RegisteredClient, form: Form, post = false): Promise<string> {
    const answer = post
      ? await sendForm(full, '/token', {
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
          ...form,
        })
      : await sendForm(
          full,
          '/token',
          { grant_type: 'client_credentials', ...form },
          { authorization: basicAuth(client.clientId, client.clientSecret) },
        );
    expect(answer.status, answer.text).toBe(200);
    return String((JSON.parse(answer.text) as Record<string, unknown>)['access_token']);
  }

  beforeAll(async () => {
    env = { ...sharedStoreEnv(backend), TESSERA_ISSUER: ISSUER };
    lean = await startTestTessera(env, { clock });
    full = await startTestTessera(env, { clock, leanTokenPath: false });
    owner = await registerClient(lean, { scope: 'ledger:read orders:read' });
    postOwner = await registerClient(lean, {
      scope: 'ledger:read',
      authMethod: 'client_secret_post',
    });
    introspector = await registerClient(lean);
    stranger = await registerClient(lean);
    await lean.tessera.resourceServers.create({
      audience: OPAQUE_API,
      scopes: ['ledger:read'],
      accessTokenFormat: 'opaque',
      introspectors: [introspector.clientId],
    });
    await lean.tessera.resourceServers.create({ audience: JWT_API, scopes: ['orders:read'] });
    tokens['plain'] = await issue(owner, {});
    tokens['api'] = await issue(owner, { resource: OPAQUE_API, scope: 'ledger:read' });
    tokens['posted'] = await issue(postOwner, { resource: OPAQUE_API }, true);
    tokens['jwt'] = await issue(owner, { resource: JWT_API, scope: 'orders:read' });
    tokens['revoked'] = await issue(owner, {});
    const revoked = await sendForm(
      full,
      '/token/revocation',
      { token: tokens['revoked'] },
      { authorization: basicAuth(owner.clientId, owner.clientSecret) },
    );
    expect(revoked.status).toBe(200);
  });
  afterAll(async () => {
    await lean?.stop();
    await full?.stop();
    await removeSharedStore(env);
  });

  function authenticate(caller: Caller): [Form, Record<string, string>] {
    switch (caller) {
      case 'owner':
        return [{}, { authorization: basicAuth(owner.clientId, owner.clientSecret) }];
      case 'post-owner':
        return [{ client_id: postOwner.clientId, client_secret: postOwner.clientSecret }, {}];
      case 'introspector':
        return [{}, { authorization: basicAuth(introspector.clientId, introspector.clientSecret) }];
      case 'stranger':
        return [{}, { authorization: basicAuth(stranger.clientId, stranger.clientSecret) }];
      case 'wrong-secret':
        return [{}, { authorization: basicAuth(owner.clientId, 'not-the-secret') }];
    }
  }

  /** The same introspection to both; `token` names a token issued above, or is the value. */
  async function introspectAtBoth(caller: Caller, form: Form, headers = {}) {
    const [authForm, authHeaders] = authenticate(caller);
    const named = typeof form['token'] === 'string' ? tokens[form['token']] : undefined;
    return sendToLeanAndFull(
      { lean, full },
      'introspection',
      INTROSPECTION,
      { ...form, ...(named === undefined ? {} : { token: named }), ...authForm },
      { ...authHeaders, ...headers },
    );
  }

  it.each([
    ['its own opaque token, to its client', 'owner', { token: 'plain' }, true],
    ['an opaque token for a resource server, to its client', 'owner', { token: 'api' }, true],
    [
      'a token, to its client authenticating with a posted secret',
      'post-owner',
      { token: 'posted' },
      true,
    ],
    [
      'a token, to an introspector its resource server names',
      'introspector',
      { token: 'posted' },
      true,
    ],
    ['a token with a type hint', 'owner', { token: 'api', token_type_hint: 'access_token' }, true],
    [
      'a token with a hint of another type',
      'owner',
      { token: 'api', token_type_hint: 'refresh_token' },
      true,
    ],
    ['a token, to a client not entitled to it', 'stranger', { token: 'plain' }, false],
    ['a token without an audience, to an introspector', 'introspector', { token: 'plain' }, false],
    ['a revoked token', 'owner', { token: 'revoked' }, false],
    ['an unknown tagged value', 'owner', { token: 'cc~unknown' }, false],
    ['an unknown untagged value', 'owner', { token: 'nothing-like-a-token' }, false],
  ] as const)('answers %s as oidc-provider does', async (_name, caller, form, active) => {
    const { leanAnswer, fullAnswer, served } = await introspectAtBoth(caller, form);
    expect(leanAnswer.status, leanAnswer.text).toBe(200);
    expect((JSON.parse(leanAnswer.text) as { active: boolean }).active).toBe(active);
    expect(served).toBe(1);
    expect(exactly(leanAnswer)).toEqual(exactly(fullAnswer));
  });

  it.each([
    ['a JWT access token', 'owner', { token: 'jwt' }, {}],
    ['a wrong secret', 'wrong-secret', { token: 'plain' }, {}],
    ['no token', 'owner', {}, {}],
    ['an empty token', 'owner', { token: '' }, {}],
    ['the token twice', 'owner', { token: ['a', 'b'] }, {}],
    ['a parameter the path does not know', 'owner', { token: 'plain', extra: 'x' }, {}],
    ['a DPoP header', 'owner', { token: 'plain' }, { dpop: 'not.a.proof' }],
    ['an Origin header', 'owner', { token: 'plain' }, { origin: 'https://app.example.com' }],
    ['a value with dots', 'owner', { token: 'a.b.c' }, {}],
  ] as const)(
    'leaves %s to oidc-provider, which answers it alike',
    async (_n, caller, form, headers) => {
      const { leanAnswer, fullAnswer, served } = await introspectAtBoth(caller, form, headers);
      expect(served).toBe(0);
      expect(exactly(leanAnswer)).toEqual(exactly(fullAnswer));
    },
  );

  it('is off when turned off: the full instance counts no lean introspection', async () => {
    await introspectAtBoth('owner', { token: 'plain' });
    expect(await leanResponses(full, 'introspection')).toBe(0);
    expect(await leanResponses(lean, 'introspection')).toBeGreaterThan(0);
  });
});
