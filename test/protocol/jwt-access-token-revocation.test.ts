import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { Storage } from '../../src/ports/storage.ts';
import {
  callTokenEndpoint,
  isActiveFor,
  type EndpointCaller,
} from '../helpers/jwt-access-tokens.ts';
import { openTestMongoStorage } from '../helpers/mongodb-storage.ts';
import { registerClient, relyingParty, type RegisteredClient } from '../helpers/oauth-fixtures.ts';
import { eventsSince, lastEventSequence } from '../helpers/outbox-events.ts';
import {
  createUser,
  postRefresh,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, type StorageBackend } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://orders.example.com/api';

/** The store reads that can answer an introspection, counted (the rest pass through). */
type CountedRead = 'token records' | 'revoked jtis' | 'clients' | 'resource servers';

/** The backend's raw store with its reads counted, on `clock`. */
async function openCountingStore(backend: StorageBackend, clock: () => number) {
  const storage: Storage =
    backend === 'sqlite'
      ? openSqliteStorage({
          path: join(mkdtempSync(join(tmpdir(), 'tessera-')), 'db.sqlite'),
          clock,
        })
      : await openTestMongoStorage({ clock });
  const reads = new Map<CountedRead, number>();
  const count = (name: CountedRead) => reads.set(name, (reads.get(name) ?? 0) + 1);
  const counted: Storage = {
    ...storage,
    oidcModels: {
      ...storage.oidcModels,
      find: (model, id) => (count('token records'), storage.oidcModels.find(model, id)),
    },
    revokedJwts: {
      ...storage.revokedJwts,
      has: (jti) => (count('revoked jtis'), storage.revokedJwts.has(jti)),
    },
    clients: {
      ...storage.clients,
      get: (clientId) => (count('clients'), storage.clients.get(clientId)),
    },
    resourceServers: {
      ...storage.resourceServers,
      getByAudience: (audience) => (
        count('resource servers'),
        storage.resourceServers.getByAudience(audience)
      ),
    },
  };
  return { storage: counted, reads };
}

describe.each(STORAGE_BACKENDS)(
  'JWT access tokens at introspection and revocation (%s store)',
  (backend) => {
    let t: TestTessera;
    let reads: Map<string, number>;
    /** Added to the wall clock Tessera and its store run on: moved only to let tokens expire. */
    let clockOffsetMs = 0;
    let app: AppClient;
    let introspector: RegisteredClient;
    let stranger: RegisteredClient;
    let publicApp: AppClient;

    beforeAll(async () => {
      const clock = () => Date.now() + clockOffsetMs;
      const store = await openCountingStore(backend, clock);
      reads = store.reads;
      t = await startTestTessera(CHEAP_ARGON2, { storage: store.storage, clock });
      await createUser(t);
      introspector = await registerClient(t, { name: 'orders api' });
      stranger = await registerClient(t, { name: 'stranger', scope: 'orders:read' });
      publicApp = await registerAppClient(t, { public: true, name: 'spa', scope: 'openid' });
      await t.tessera.resourceServers.create({
        audience: API,
        scopes: ['orders:read'],
        introspectors: [introspector.clientId],
      });
      app = await registerAppClient(t, {
        name: 'orders app',
        scope: 'openid offline_access orders:read',
        metadata: { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] },
      });
    });
    afterAll(() => t.stop());

    const machineToken = async (rp = app.rp) =>
      (await oidc.clientCredentialsGrant(rp, { resource: API, scope: 'orders:read' })).access_token;
    const userTokens = async () =>
      (
        await signInAndRedeem(t, app, undefined, {
          params: { scope: 'openid offline_access orders:read', prompt: 'consent', resource: API },
        })
      ).tokens;
    const introspect = (caller: EndpointCaller, token: string) =>
      callTokenEndpoint(t.issuer, 'introspection', caller, token);
    const revoke = (caller: EndpointCaller, token: string) =>
      callTokenEndpoint(t.issuer, 'revocation', caller, token);
    const isActive = (caller: EndpointCaller, token: string) =>
      isActiveFor(t.issuer, caller, token);

    it('introspects a client-credentials JWT with its claims, for its client and a named introspector', async () => {
      const token = await machineToken();
      const claims = decodeJwt(token);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      for (const caller of [app, introspector]) {
        const answer = await introspect(caller, token);
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.text)).toEqual({
          active: true,
          client_id: app.clientId,
          scope: 'orders:read',
          exp: claims.exp,
          iat: claims.iat,
          sub: app.clientId,
          aud: API,
          iss: t.issuer,
          jti: claims.jti,
          token_type: 'Bearer',
        });
      }
    });

    it("introspects a user's JWT with its subject, for its client and a named introspector", async () => {
      const { access_token: token } = await userTokens();
      for (const caller of [app, introspector]) {
        expect(JSON.parse((await introspect(caller, token)).text)).toMatchObject({
          active: true,
          client_id: app.clientId,
          sub: decodeJwt(token).sub,
          jti: decodeJwt(token).jti,
        });
      }
    });

    it('answers any other client byte for byte as it answers an unknown token', async () => {
      const token = await machineToken();
      for (const caller of [stranger, publicApp]) {
        const refused = await introspect(caller, token);
        const unknown = await introspect(caller, 'cc~no-such-token');
        expect(refused.status).toBe(200);
        expect(refused.text).toBe('{"active":false}');
        expect(refused.text).toBe(unknown.text);
        for (const header of ['content-type', 'content-length', 'cache-control', 'pragma']) {
          expect(refused.headers.get(header)).toBe(unknown.headers.get(header));
        }
      }
    });

    it('reads the store once to introspect a JWT: the revocation record, nothing else', async () => {
      const machine = await machineToken();
      const { access_token: user } = await userTokens();
      // Clients and resource servers come from the catalog cache once it holds them.
      await introspect(introspector, machine);
      await introspect(introspector, user);

      reads.clear();
      expect(await isActive(introspector, machine)).toBe(true);
      expect(Object.fromEntries(reads)).toEqual({ 'revoked jtis': 1 });

      reads.clear();
      expect(await isActive(introspector, user)).toBe(true);
      expect(Object.fromEntries(reads)).toEqual({ 'token records': 1 });
    });

    it('revokes a client-credentials JWT at its client’s request, announcing its jti once', async () => {
      const token = await machineToken();
      const claims = decodeJwt(token);
      const before = await lastEventSequence(t);

      expect(await revoke(app, token)).toMatchObject({ status: 200, text: '' });

      expect(await isActive(app, token)).toBe(false);
      expect(await isActive(introspector, token)).toBe(false);
      expect(await t.tessera.storage.revokedJwts.has(String(claims.jti))).toBe(true);
      const events = await eventsSince(t, before);
      expect(events.map((event) => [event.type, event.key])).toEqual([
        ['tessera.token.revoked', app.clientId],
      ]);
      expect(events[0]?.data).toEqual({
        token_type: 'access_token',
        format: 'jwt',
        jti: claims.jti,
        client_id: app.clientId,
        sub: null,
        grant_id: null,
        exp: claims.exp,
        reason: 'revocation_endpoint',
      });

      const again = await lastEventSequence(t);
      expect((await revoke(app, token)).status).toBe(200);
      expect(await eventsSince(t, again)).toEqual([]);
    });

    it("revokes a user's JWT with its grant, as an opaque access token's revocation does", async () => {
      const tokens = await userTokens();
      const claims = decodeJwt(tokens.access_token);
      const other = await userTokens();
      const before = await lastEventSequence(t);

      expect((await revoke(app, tokens.access_token)).status).toBe(200);

      expect(await isActive(introspector, tokens.access_token)).toBe(false);
      expect((await postRefresh(t, app, tokens.refresh_token!)).body.error).toBe('invalid_grant');
      expect(await isActive(introspector, other.access_token)).toBe(true);
      const revoked = await eventsSince(t, before, 'tessera.token.revoked');
      const jwtEvents = revoked.filter((event) => event.data['format'] === 'jwt');
      expect(jwtEvents.map((event) => event.data)).toEqual([
        expect.objectContaining({
          jti: claims.jti,
          sub: claims.sub,
          client_id: app.clientId,
          exp: claims.exp,
          reason: 'revocation_endpoint',
        }),
      ]);
      expect(await eventsSince(t, before, 'tessera.grant.revoked')).toHaveLength(1);

      const again = await lastEventSequence(t);
      expect((await revoke(app, tokens.access_token)).status).toBe(200);
      expect(await eventsSince(t, again)).toEqual([]);
    });

    it("refuses another client's JWT at revocation as it refuses its opaque token, and keeps it", async () => {
      const token = await machineToken();
      const before = await lastEventSequence(t);

      const refused = await revoke(stranger, token);
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text)).toMatchObject({ error: 'unauthorized_client' });
      // A public client proves no identity: the plain 200, and nothing happens.
      expect(await revoke(publicApp, token)).toMatchObject({ status: 200, text: '' });

      expect(await isActive(app, token)).toBe(true);
      expect(await eventsSince(t, before)).toEqual([]);
    });

    it('answers 200 and records nothing for JWTs it did not issue, forgeries, ID tokens and garbage', async () => {
      const token = await machineToken();
      const claims = decodeJwt(token);
      const { id_token: idToken } = await userTokens();
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const foreign = (payload: Record<string, unknown>, kid: string) =>
        new SignJWT(payload)
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
          .sign(privateKey);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const altered = Buffer.from(
        JSON.stringify({ ...claims, scope: 'orders:read orders:write' }),
      ).toString('base64url');
      const presented = {
        'forged with its kid': await foreign(claims, String(decodeProtectedHeader(token).kid)),
        'from another issuer': await foreign(
          { ...claims, iss: 'https://elsewhere.example.com' },
          String((await exportJWK(publicKey)).x),
        ),
        'altered after signing': `${header}.${altered}.${signature}`,
        'signature cut off': `${header}.${payload}.`,
        'unsigned (alg none)': `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.`,
        'an ID token': idToken!,
        'garbage after a JWS header': `${header}.garbage.garbage`,
      };
      const before = await lastEventSequence(t);

      for (const [what, value] of Object.entries(presented)) {
        const answer = await revoke(app, value);
        expect({ what, status: answer.status, text: answer.text }).toEqual({
          what,
          status: 200,
          text: '',
        });
        expect({ what, introspected: (await introspect(app, value)).text }).toEqual({
          what,
          introspected: '{"active":false}',
        });
      }

      expect(await eventsSince(t, before)).toEqual([]);
      expect(await t.tessera.storage.revokedJwts.has(String(claims.jti))).toBe(false);
      expect(await isActive(app, token)).toBe(true);
    });

    it('answers 200 and records nothing for an expired JWT', async () => {
      const token = await machineToken();
      const before = await lastEventSequence(t);
      clockOffsetMs = ((decodeJwt(token).exp ?? 0) + 1) * 1000 - Date.now();
      try {
        expect(await revoke(app, token)).toMatchObject({ status: 200, text: '' });
        expect((await introspect(app, token)).text).toBe('{"active":false}');
      } finally {
        clockOffsetMs = 0;
      }
      expect(await eventsSince(t, before)).toEqual([]);
      expect(await isActive(app, token)).toBe(true);
    });

    it('vouches for no JWT of a client that was deleted', async () => {
      const departing = await registerClient(t, { name: 'departing', scope: 'orders:read' });
      const token = await machineToken(await relyingParty(t, departing));
      expect(await isActive(introspector, token)).toBe(true);

      await t.tessera.clients.delete(departing.clientId);
      expect((await introspect(introspector, token)).text).toBe('{"active":false}');
    });

    it('vouches for a JWT whose key was rotated out, and for none whose key was removed', async () => {
      const token = await machineToken();
      const { kid } = decodeProtectedHeader(token);

      await t.tessera.signingKeyAdmin.rotate({ force: true });
      expect(decodeProtectedHeader(await machineToken()).kid).not.toBe(kid);
      expect(await isActive(introspector, token)).toBe(true);

      await t.tessera.signingKeyAdmin.retire(String(kid));
      expect((await introspect(introspector, token)).text).toBe('{"active":false}');
      expect(await revoke(app, token)).toMatchObject({ status: 200, text: '' });
    });

    it('logged no server error while answering all of the above', () => {
      expect(t.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
    });
  },
);
