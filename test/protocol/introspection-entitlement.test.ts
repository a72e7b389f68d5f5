import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  basicAuth,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import {
  createUser,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

const LEDGER = 'https://ledger.example.com/api';
const ARCHIVE = 'https://archive.example.com/api';
const JOURNAL = 'https://journal.example.com/api';

type CallerName =
  'owner' | 'other client' | 'ledger introspector' | 'archive introspector' | 'public client';
type TokenKind =
  | 'ledger client-credentials token'
  | 'ledger sign-in access token'
  | 'client-credentials token without resource'
  | 'refresh token'
  | 'tessera:admin token'
  | "another client's ledger token";

/**
 * Who may introspect what (RFC 7662 sections 2.1 and 4). Every token but the last is the
 * owner's; the ledger names its introspector, the archive names another client.
 */
const ENTITLED: Record<TokenKind, readonly CallerName[]> = {
  'ledger client-credentials token': ['owner', 'ledger introspector'],
  'ledger sign-in access token': ['owner', 'ledger introspector'],
  'client-credentials token without resource': ['owner'],
  'refresh token': ['owner'],
  'tessera:admin token': ['owner'],
  "another client's ledger token": ['ledger introspector'],
};
const CALLERS: readonly CallerName[] = [
  'owner',
  'other client',
  'ledger introspector',
  'archive introspector',
  'public client',
];
const MATRIX = (Object.keys(ENTITLED) as TokenKind[]).flatMap((kind) =>
  CALLERS.map((caller) => ({ caller, kind, entitled: ENTITLED[kind].includes(caller) })),
);

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

describe.each(STORAGE_BACKENDS)('introspection entitlement (%s store)', (backend) => {
  let t: TestTessera;
  const callers = new Map<CallerName, { clientId: string; clientSecret?: string | undefined }>();
  const tokens = new Map<TokenKind, string>();
  let ledgerIntrospector: RegisteredClient;

  /** An introspection request as `caller` authenticates it: Basic, or client_id when public. */
  async function introspect(
    caller: { clientId: string; clientSecret?: string | undefined },
    token: string,
  ): Promise<Answer> {
    const form = new URLSearchParams({ token });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
    };
    if (caller.clientSecret === undefined) form.set('client_id', caller.clientId);
    else headers.authorization = basicAuth(caller.clientId, caller.clientSecret);
    const response = await fetch(`${t.issuer}/token/introspection`, {
      method: 'POST',
      headers,
      body: form.toString(),
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  const isActive = async (
    caller: { clientId: string; clientSecret?: string | undefined },
    token: string,
  ): Promise<boolean> =>
    (JSON.parse((await introspect(caller, token)).text) as { active: boolean }).active;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, CHEAP_ARGON2);
    await createUser(t);
    // The owner signs people in (for a refresh token and a user's access token) and uses the
    // client-credentials grant, so every token kind below is issued to one client.
    const owner: AppClient = await registerAppClient(t, {
      name: 'ledger app',
      scope: 'openid offline_access ledger:read tessera:admin',
      metadata: { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] },
    });
    ledgerIntrospector = await registerClient(t, { name: 'ledger api' });
    const archiveIntrospector = await registerClient(t, { name: 'archive api' });
    const publicApp = await registerAppClient(t, { public: true, name: 'spa' });
    callers.set('owner', owner);
    callers.set('other client', await registerClient(t, { name: 'someone else' }));
    callers.set('ledger introspector', ledgerIntrospector);
    callers.set('archive introspector', archiveIntrospector);
    callers.set('public client', publicApp);

    await t.tessera.resourceServers.create({
      audience: LEDGER,
      scopes: ['ledger:read'],
      accessTokenFormat: 'opaque',
      introspectors: [ledgerIntrospector.clientId],
    });
    await t.tessera.resourceServers.create({
      audience: ARCHIVE,
      scopes: ['archive:read'],
      accessTokenFormat: 'opaque',
      introspectors: [archiveIntrospector.clientId],
    });

    const forLedger = { resource: LEDGER, scope: 'ledger:read' };
    tokens.set(
      'ledger client-credentials token',
      (await oidc.clientCredentialsGrant(owner.rp, forLedger)).access_token,
    );
    tokens.set(
      'client-credentials token without resource',
      (await oidc.clientCredentialsGrant(owner.rp)).access_token,
    );
    tokens.set(
      'tessera:admin token',
      (await oidc.clientCredentialsGrant(owner.rp, { scope: 'tessera:admin' })).access_token,
    );
    const signedIn = await signInAndRedeem(t, owner, undefined, {
      params: { scope: 'openid offline_access ledger:read', prompt: 'consent', resource: LEDGER },
    });
    tokens.set('ledger sign-in access token', signedIn.tokens.access_token);
    tokens.set('refresh token', signedIn.tokens.refresh_token!);
    const stranger = await registerClient(t, { name: 'stranger', scope: 'ledger:read' });
    tokens.set(
      "another client's ledger token",
      (await oidc.clientCredentialsGrant(await relyingParty(t, stranger), forLedger)).access_token,
    );
  });
  afterAll(() => t.stop());

  it('issues opaque tokens, the ledger ones for its audience', async () => {
    for (const token of tokens.values()) expect(token.split('.')).toHaveLength(1);
    const owner = callers.get('owner')!;
    const answer = await introspect(owner, tokens.get('ledger client-credentials token')!);
    expect(JSON.parse(answer.text)).toMatchObject({ active: true, aud: LEDGER });
  });

  it.each(MATRIX)(
    'answers the $caller asking about the $kind: entitled $entitled',
    async ({ caller, kind, entitled }) => {
      const answer = await introspect(callers.get(caller)!, tokens.get(kind)!);
      expect(answer.status).toBe(200);
      if (entitled) expect(JSON.parse(answer.text)).toMatchObject({ active: true });
      else expect(answer.text).toBe('{"active":false}');
    },
  );

  it('answers a refused caller byte for byte as it answers an unknown token', async () => {
    const other = callers.get('other client')!;
    const refused = await introspect(other, tokens.get('ledger client-credentials token')!);
    const unknown = await introspect(other, 'cc~no-such-token');
    expect(refused.status).toBe(unknown.status);
    expect(refused.text).toBe(unknown.text);
    for (const header of ['content-type', 'content-length', 'cache-control', 'pragma']) {
      expect(refused.headers.get(header)).toBe(unknown.headers.get(header));
    }
  });

  it('still lets a public client introspect its own tokens', async () => {
    const spa = await registerAppClient(t, {
      public: true,
      name: 'own tokens',
      scope: 'openid offline_access',
    });
    const { tokens: own } = await signInAndRedeem(t, spa, undefined, {
      params: { scope: 'openid offline_access', prompt: 'consent' },
    });
    for (const token of [own.access_token, own.refresh_token!]) {
      expect(JSON.parse((await introspect(spa, token)).text)).toMatchObject({
        active: true,
        client_id: spa.clientId,
      });
    }
  });

  it('stops answering an introspector once its resource server no longer names it', async () => {
    const writer = await registerClient(t, { name: 'archive writer', scope: 'archive:read' });
    const { access_token: token } = await oidc.clientCredentialsGrant(
      await relyingParty(t, writer),
      { resource: ARCHIVE, scope: 'archive:read' },
    );
    const archiveIntrospector = callers.get('archive introspector')!;
    expect(await isActive(archiveIntrospector, token)).toBe(true);

    const archive = await t.tessera.resourceServers.findByAudience(ARCHIVE);
    await t.tessera.resourceServers.update(archive!.id, { introspectors: [] });
    expect((await introspect(archiveIntrospector, token)).text).toBe('{"active":false}');
  });

  it('does not answer a client created later under the id of a deleted introspector', async () => {
    const named = await registerClient(t, { name: 'journal api' });
    const writer = await registerClient(t, { name: 'journal writer', scope: 'journal:read' });
    await t.tessera.resourceServers.create({
      audience: JOURNAL,
      scopes: ['journal:read'],
      accessTokenFormat: 'opaque',
      introspectors: [named.clientId],
    });
    const { access_token: token } = await oidc.clientCredentialsGrant(
      await relyingParty(t, writer),
      { resource: JOURNAL, scope: 'journal:read' },
    );
    expect(await isActive(named, token)).toBe(true);

    const deleted = await t.tessera.clients.get(named.clientId);
    await t.tessera.clients.delete(named.clientId);
    // Another client under the same id, with the same secret: only its creation time differs.
    const reborn = { ...deleted, createdAt: deleted.createdAt + 1, version: 1 };
    expect(await t.tessera.catalogCache.stores.clients.insert(reborn)).toBe(true);
    const rebornRp = await relyingParty(t, named);
    const { access_token: ownToken } = await oidc.clientCredentialsGrant(rebornRp);
    expect(await isActive(named, ownToken)).toBe(true);
    expect((await introspect(named, token)).text).toBe('{"active":false}');
  });

  it('vouches to no introspector for the tokens of a client that was deleted', async () => {
    const departing = await registerAppClient(t, {
      name: 'departing app',
      scope: 'openid ledger:read',
      metadata: { grant_types: ['authorization_code', 'client_credentials'] },
    });
    const { access_token: machineToken } = await oidc.clientCredentialsGrant(departing.rp, {
      resource: LEDGER,
      scope: 'ledger:read',
    });
    const { tokens: userTokens } = await signInAndRedeem(t, departing, undefined, {
      params: { scope: 'openid ledger:read', resource: LEDGER },
    });
    for (const token of [machineToken, userTokens.access_token]) {
      expect(await isActive(ledgerIntrospector, token)).toBe(true);
    }

    await t.tessera.clients.delete(departing.clientId);
    for (const token of [machineToken, userTokens.access_token]) {
      const answer = await introspect(ledgerIntrospector, token);
      expect({ status: answer.status, text: answer.text }).toEqual({
        status: 200,
        text: '{"active":false}',
      });
    }
  });

  it('logged no server error while answering all of the above', () => {
    expect(t.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
