import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type * as oidc from 'openid-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createKeyEncrypter } from '../../keys/key-encryption.ts';
import { createKeyLifecycleWriter } from '../../keys/key-lifecycle-writer.ts';
import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import type { ProviderInstance } from '../../src/provider/provider-holder.ts';
import { createTestClock, type TestClock } from '../contracts/storage-fixture.ts';
import {
  API,
  issueAccessToken,
  kidOf,
  registerApiClient,
  startSlowTokenRequest,
} from '../helpers/jwt-access-tokens.ts';
import type { RegisteredClient } from '../helpers/oauth-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const DAY = 86_400_000;

describe('signing-key rotation in a running Tessera', () => {
  let t: TestTessera;
  let clock: TestClock;
  let client: RegisteredClient;
  let rp: oidc.Configuration;

  const jwks = async () =>
    (await (await fetch(`${t.issuer}/jwks`)).json()) as JSONWebKeySet & {
      keys: { kid: string; alg: string }[];
    };
  const verify = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await jwks()), { issuer: t.issuer, audience: API });
  const kidsIn = async (state: string, alg = 'ES256') =>
    (await t.tessera.signingKeyAdmin.list())
      .filter((key) => key.state === state && key.alg === alg)
      .map((key) => key.kid);

  beforeEach(async () => {
    // Tessera's clock drives the lifecycle; a poll interval of an hour keeps the timer out of
    // the way, so each test decides when the replica looks at the store (refresh()).
    clock = createTestClock(Date.now());
    t = await startTestTessera({ TESSERA_KEY_POLL_INTERVAL: '3600' }, { clock });
    ({ client, rp } = await registerApiClient(t));
  });
  afterEach(() => t.stop());

  it('signs with the former next key once the interval has passed, keeping the old key published', async () => {
    const [firstKid] = await kidsIn('current');
    const [nextKid] = await kidsIn('next');
    const before = await issueAccessToken(rp);
    expect(kidOf(before)).toBe(firstKid);

    clock.advance(30 * DAY);
    await t.tessera.keyRotation.refresh();

    const after = await issueAccessToken(rp);
    expect(kidOf(after)).toBe(nextKid);
    expect(await kidsIn('retired')).toEqual([firstKid]);
    expect((await verify(before)).payload.client_id).toBe(client.clientId);
    expect((await verify(after)).payload.client_id).toBe(client.clientId);
    expect((await jwks()).keys).toHaveLength(6);
  });

  it('finishes a request in flight during a rotation on its old instance; the next one uses the new keys', async () => {
    const [oldKid] = await kidsIn('current');
    const captured = vi.spyOn(t.tessera.holder, 'current');
    const slow = startSlowTokenRequest(t.issuer, client);
    await expect.poll(() => captured.mock.calls.length).toBeGreaterThan(0);
    captured.mockRestore();

    await t.tessera.signingKeyAdmin.rotate({ force: true });
    const [newKid] = await kidsIn('current');
    expect(newKid).not.toBe(oldKid);

    const response = await slow.finish();
    expect(response.status).toBe(200);
    const inFlightToken = response.body.access_token as string;
    expect(kidOf(inFlightToken)).toBe(oldKid);
    expect(kidOf(await issueAccessToken(rp))).toBe(newKid);
    await expect(verify(inFlightToken)).resolves.toBeDefined();
  });

  it('lets every replaced provider instance be garbage-collected once its requests are done', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const replaced: WeakRef<ProviderInstance>[] = [];
    for (let rotation = 0; rotation < 3; rotation += 1) {
      replaced.push(new WeakRef(t.tessera.holder.current()));
      await issueAccessToken(rp);
      await t.tessera.signingKeyAdmin.rotate({ force: true });
    }
    await issueAccessToken(rp);

    let alive = replaced.length;
    for (let attempt = 0; attempt < 20 && alive > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
      alive = replaced.filter((ref) => ref.deref() !== undefined).length;
    }
    expect(alive).toBe(0);
  });

  it('reports not ready and changes nothing when the store holds keys it cannot decrypt', async () => {
    // A replica configured with another key-encryption key adds a generation.
    const foreign = createKeyLifecycleWriter({
      keys: t.tessera.storage.signingKeys,
      encrypter: createKeyEncrypter(randomBytes(32)),
      newEvent: createEventFactory({ source: t.issuer, clock, onInvalid: throwInvalidEvent }),
      clock,
    });
    await foreign.apply([], { kind: 'create-next' });
    const stored = await t.tessera.storage.signingKeys.list();
    const served = await jwks();

    clock.advance(31 * DAY);
    await t.tessera.keyRotation.refresh();

    const ready = await fetch(`${t.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('cannot be decrypted');
    expect(await t.tessera.storage.signingKeys.list()).toEqual(stored);
    expect(await jwks()).toEqual(served);
    expect(kidOf(await issueAccessToken(rp))).toBe((await kidsIn('current'))[0]);
  });
});
