import { randomBytes } from 'node:crypto';

import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { OidcModelName, OidcPayload } from '../../src/ports/oidc-models.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { protectLegacyRecords } from '../../src/provider/legacy-record-protection.ts';
import { createRecordSealer } from '../../src/provider/model-record-protection.ts';
import { createProtectedModelStore } from '../../src/provider/protected-model-store.ts';
import { hashOpaqueToken } from '../../src/provider/removal-events.ts';
import { storageKeyOf, tokenHashOf } from '../../src/provider/stored-token-keys.ts';
import { runDataMigrations } from '../../src/storage/data-migrations.ts';

const kek = randomBytes(32);
const sealer = createRecordSealer(kek);

/** Every string anywhere in a stored payload, parsed as the store keeps it. */
function storedText(payload: OidcPayload | undefined): string {
  return JSON.stringify(payload ?? null);
}

describe('record sealing', () => {
  it('gives back what it sealed, for the same context only', () => {
    const sealed = sealer.seal('the session id', 'Session\0key\0sealedJti');
    expect(sealed).not.toContain('the session id');
    expect(sealer.unseal(sealed, 'Session\0key\0sealedJti')).toBe('the session id');
    expect(() => sealer.unseal(sealed, 'Session\0other-key\0sealedJti')).toThrow();
  });

  it('refuses text sealed under another key-encryption key, or altered', () => {
    const sealed = sealer.seal('value', 'ctx');
    expect(() => createRecordSealer(randomBytes(32)).unseal(sealed, 'ctx')).toThrow();
    const [version, iv, ciphertext, tag] = sealed.split('.');
    const flipped = `${ciphertext!.startsWith('A') ? 'B' : 'A'}${ciphertext!.slice(1)}`;
    expect(() => sealer.unseal([version, iv, flipped, tag].join('.'), 'ctx')).toThrow();
    expect(() => sealer.unseal('not sealed', 'ctx')).toThrow(TypeError);
  });
});

describe('the protected oidc-model store', () => {
  let raw: Storage;
  const protectedModels = () => createProtectedModelStore(raw.oidcModels, sealer);

  beforeEach(() => {
    raw = openSqliteStorage({ path: ':memory:' });
  });
  afterEach(async () => {
    await raw.close();
  });

  it('keeps a token only under the hash of its value, and finds it by the value alone', async () => {
    const value = 'at~Qm9vdHN0cmFwLXRva2VuLXZhbHVlLWZvci10ZXN0aW5nLTAx';
    const payload = { jti: value, kind: 'AccessToken', clientId: 'cl_1', grantId: 'g1' };
    await protectedModels().upsert('AccessToken', value, payload, 60);

    expect(await raw.oidcModels.find('AccessToken', value)).toBeUndefined();
    const stored = await raw.oidcModels.find('AccessToken', storageKeyOf(value));
    expect(stored).toEqual({ ...payload, jti: storageKeyOf(value) });
    expect(storedText(stored)).not.toContain(value);
    expect(await protectedModels().find('AccessToken', value)).toEqual(payload);
    expect(await protectedModels().find('AccessToken', storageKeyOf(value))).toBeUndefined();
  });

  it('consumes and destroys by the value', async () => {
    await protectedModels().upsert('AuthorizationCode', 'code-1', { jti: 'code-1' }, 60);
    expect(await protectedModels().consume('AuthorizationCode', storageKeyOf('code-1'))).toBe(
      false,
    );
    expect(await protectedModels().consume('AuthorizationCode', 'code-1')).toBe(true);
    expect((await protectedModels().find('AuthorizationCode', 'code-1'))?.consumed).toBeTypeOf(
      'number',
    );
    expect(await protectedModels().destroy('AuthorizationCode', 'code-1')).toMatchObject({
      jti: 'code-1',
    });
    expect(await raw.oidcModels.find('AuthorizationCode', storageKeyOf('code-1'))).toBeUndefined();
  });

  it('gives a session found by uid or account its id back from the seal', async () => {
    const sessionId = 'session-cookie-value-0123456789abcdefghijklmno';
    const payload = { jti: sessionId, uid: 'uid-1', accountId: 'acc_1', kind: 'Session' };
    await protectedModels().upsert('Session', sessionId, payload, 60);

    const stored = await raw.oidcModels.findByUid('Session', 'uid-1');
    expect(storedText(stored)).not.toContain(sessionId);
    expect(await protectedModels().findByUid('Session', 'uid-1')).toEqual(payload);
    expect(await protectedModels().findByAccountId('Session', 'acc_1')).toEqual([payload]);
    expect(await protectedModels().find('Session', sessionId)).toEqual(payload);
  });

  it('seals an interaction whole: its session cookie and resume URL are not in the store', async () => {
    const uid = 'interaction-uid-0123456789abcdefghijklmnopq';
    const payload = {
      jti: uid,
      kind: 'Interaction',
      iat: 1,
      exp: 2,
      returnTo: `http://localhost/auth/${uid}`,
      session: { uid: 'uid-1', cookie: 'session-cookie-value', accountId: 'acc_1' },
      params: { client_id: 'cl_1', redirect_uri: 'http://127.0.0.1/cb' },
      grantId: 'g1',
    };
    await protectedModels().upsert('Interaction', uid, payload, 60);

    const stored = await raw.oidcModels.find('Interaction', storageKeyOf(uid));
    expect(Object.keys(stored ?? {}).sort()).toEqual(['exp', 'iat', 'jti', 'kind', 'sealed']);
    expect(storedText(stored)).not.toContain('session-cookie-value');
    expect(storedText(stored)).not.toContain(uid);
    expect(await protectedModels().find('Interaction', uid)).toEqual(payload);
    // The grant id is inside the seal, so revoking by grant finds no interaction to remove.
    expect(await raw.oidcModels.revokeByGrantId('Interaction', 'g1')).toEqual([]);
  });

  it('finds a device code by the hash of its user code and gives both back', async () => {
    const payload = { jti: 'device-code-1', userCode: 'WDJB-MJHT', kind: 'DeviceCode' };
    await protectedModels().upsert('DeviceCode', 'device-code-1', payload, 60);
    expect(await raw.oidcModels.findByUserCode('DeviceCode', 'WDJB-MJHT')).toBeUndefined();
    expect(await protectedModels().findByUserCode('DeviceCode', 'WDJB-MJHT')).toEqual(payload);
  });

  it('passes grants through as they are: a grant id is no credential', async () => {
    const grant = { jti: 'grant-1', accountId: 'acc_1', clientId: 'cl_1' };
    await protectedModels().upsert('Grant', 'grant-1', grant, 60);
    expect(await raw.oidcModels.find('Grant', 'grant-1')).toEqual(grant);
    expect(await protectedModels().findByAccountId('Grant', 'acc_1')).toEqual([grant]);
  });

  it('keeps a JWT access token record under a hashed key with its jti, which is no credential', async () => {
    const record = { jti: 'jwt-jti-1', format: 'jwt', clientId: 'cl_1', grantId: 'g1', exp: 5 };
    await protectedModels().upsert('AccessToken', 'jwt-jti-1', record, 60);
    expect(await raw.oidcModels.find('AccessToken', storageKeyOf('jwt-jti-1'))).toEqual(record);
    expect(await protectedModels().revokeByGrantId('AccessToken', 'g1')).toEqual([record]);
  });

  it('hands removal events the hash of each token, which is the token_hash events carry', async () => {
    const values = ['rt~first-refresh-token-value', 'rt~second-refresh-token-value'];
    for (const value of values) {
      await protectedModels().upsert('RefreshToken', value, { jti: value, grantId: 'g1' }, 60);
    }
    const seen: OidcPayload[] = [];
    await protectedModels().revokeByGrantId('RefreshToken', 'g1', {
      eventsFor: (removed) => {
        seen.push(...removed);
        return [];
      },
    });
    const hashes = seen.map((payload) => tokenHashOf(String(payload['jti'])));
    expect(hashes.sort()).toEqual(values.map(hashOpaqueToken).sort());
    expect(storedText(seen as unknown as OidcPayload)).not.toContain('refresh-token-value');
  });
});

describe('re-keying records an older Tessera stored in the clear', () => {
  let raw: Storage;
  const migrate = () =>
    runDataMigrations(raw, [protectLegacyRecords(sealer)], {
      clock: Date.now,
      logger: pino({ level: 'silent' }),
    });

  beforeEach(() => {
    raw = openSqliteStorage({ path: ':memory:' });
  });
  afterEach(async () => {
    await raw.close();
  });

  const legacy: [OidcModelName, string, OidcPayload][] = [
    ['AccessToken', 'at~legacy-access-token', { jti: 'at~legacy-access-token', grantId: 'g1' }],
    ['RefreshToken', 'rt~legacy-refresh-token', { jti: 'rt~legacy-refresh-token', grantId: 'g1' }],
    ['Session', 'legacy-session-id', { jti: 'legacy-session-id', uid: 'u1', accountId: 'acc_1' }],
    ['Interaction', 'legacy-interaction', { jti: 'legacy-interaction', returnTo: '/auth/x' }],
    ['Grant', 'grant-1', { jti: 'grant-1', accountId: 'acc_1' }],
  ];

  it('moves each to its protected key and payload, usable by its value as before', async () => {
    for (const [model, id, payload] of legacy) await raw.oidcModels.upsert(model, id, payload, 60);
    await raw.oidcModels.consume('RefreshToken', 'rt~legacy-refresh-token');

    const [report] = await migrate();

    expect(report).toEqual({ name: 'oidc-model-keys-sha256', changed: 4 });
    const models = createProtectedModelStore(raw.oidcModels, sealer);
    for (const [model, id, payload] of legacy) {
      if (model !== 'Grant') expect(await raw.oidcModels.find(model, id)).toBeUndefined();
      expect(await models.find(model, id)).toMatchObject(payload);
    }
    expect((await models.find('RefreshToken', 'rt~legacy-refresh-token'))?.consumed).toBeTypeOf(
      'number',
    );
    expect(await models.findByUid('Session', 'u1')).toMatchObject({ jti: 'legacy-session-id' });
  });

  it('runs once per store, and a second pass finds nothing left to change', async () => {
    for (const [model, id, payload] of legacy) await raw.oidcModels.upsert(model, id, payload, 60);
    expect(await migrate()).toHaveLength(1);
    expect(await migrate()).toEqual([]);
    expect(await protectLegacyRecords(sealer).run(raw)).toBe(0);
  });
});
