import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { OidcModelName } from '../../src/ports/oidc-models.ts';
import { belongsToAnotherModel } from '../../src/provider/token-kinds.ts';
import {
  basicAuth,
  postForm,
  registerClient,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { createUser, registerAppClient, signInAndRedeem } from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const OPAQUE_API = 'https://ledger.example.com';

describe('token values tagged with their kind', () => {
  let t: TestTessera;
  let client: RegisteredClient;
  /** Store lookups of token models, by model, since the last reset. */
  const finds = new Map<OidcModelName, number>();

  beforeAll(async () => {
    const storage = openSqliteStorage({
      path: join(mkdtempSync(join(tmpdir(), 'tessera-tags-')), 'tessera.sqlite'),
    });
    const find = storage.oidcModels.find.bind(storage.oidcModels);
    storage.oidcModels.find = (model, id) => {
      finds.set(model, (finds.get(model) ?? 0) + 1);
      return find(model, id);
    };
    t = await startTestTessera({}, { storage });
    await t.tessera.resourceServers.create({
      audience: OPAQUE_API,
      scopes: ['ledger:read'],
      accessTokenFormat: 'opaque',
    });
    client = await registerClient(t, { scope: 'ledger:read' });
  });
  afterAll(() => t.stop());

  const issueOpaque = async () => {
    const { body } = await postForm(
      `${t.issuer}/token`,
      `grant_type=client_credentials&resource=${encodeURIComponent(OPAQUE_API)}&scope=ledger:read`,
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
    return String(body['access_token']);
  };
  const introspect = (token: string) =>
    postForm(`${t.issuer}/token/introspection`, `token=${encodeURIComponent(token)}`, {
      authorization: basicAuth(client.clientId, client.clientSecret),
    });

  it('tags client-credentials, access and refresh tokens with their model', async () => {
    expect(await issueOpaque()).toMatch(/^cc~[A-Za-z0-9_-]{43}$/);
    await createUser(t);
    const app = await registerAppClient(t, { public: true });
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { scope: 'openid offline_access', prompt: 'consent' },
    });
    expect(tokens.access_token).toMatch(/^at~/);
    expect(tokens.refresh_token).toMatch(/^rt~/);
  });

  it('introspects a client-credentials token with one store lookup, not one per token model', async () => {
    const token = await issueOpaque();
    finds.clear();
    const { status, body } = await introspect(token);
    expect(status).toBe(200);
    expect(body).toMatchObject({ active: true, client_id: client.clientId, aud: OPAQUE_API });
    expect(Object.fromEntries(finds)).toEqual({ ClientCredentials: 1 });
  });

  it('still finds an untagged token issued before tags, in whichever model holds it', async () => {
    // The record of a tagged token, stored again under an id of the old, untagged shape.
    const tagged = await issueOpaque();
    const legacyId = 'untaggedLegacyTokenValue0123456789abcdefgh';
    const payload = await t.tessera.storage.oidcModels.find('ClientCredentials', tagged);
    await t.tessera.storage.oidcModels.upsert(
      'ClientCredentials',
      legacyId,
      { ...payload!, jti: legacyId },
      600,
    );
    const { body } = await introspect(legacyId);
    expect(body).toMatchObject({ active: true, client_id: client.clientId });
  });

  it('answers inactive for a value tagged for a model that does not hold it', async () => {
    const token = await issueOpaque();
    const { body } = await introspect(token.replace(/^cc~/, 'rt~'));
    expect(body).toEqual({ active: false });
  });
});

describe('belongsToAnotherModel', () => {
  it.each([
    ['AccessToken', 'cc~abc', true],
    ['AccessToken', 'at~abc', false],
    ['ClientCredentials', 'rt~abc', true],
    ['RefreshToken', 'rt~abc', false],
    ['RefreshToken', 'plainOldNanoid_-', false],
    ['RefreshToken', 'zz~unknownTag', false],
    ['Session', 'cc~abc', false],
  ] as const)('%s with %s: %s', (model, id, expected) => {
    expect(belongsToAnotherModel(model, id)).toBe(expected);
  });
});
