import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createClientSecretHasher } from '../../src/services/client-secrets.ts';
import { createClientService } from '../../src/services/client-service.ts';
import { createResourceServerService } from '../../src/services/resource-server-service.ts';
import { spawnTessera, waitFor, type TesseraProcess } from '../helpers/tessera-process.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

// Both replicas claim one issuer, as they would behind a load balancer.
const ISSUER = 'http://tessera.test';
const API = 'https://orders.example.com/api';
const MAX_AGE_S = 1;
const POLL_S = 1;
/**
 * Each next generation is created as the previous one starts signing, so it is served for about
 * an interval before it signs: far beyond the one max-age a relying party needs, leaving seconds
 * for replicas' polls and this test's observer to run late on a busy machine.
 */
const INTERVAL_S = 6;
const ROTATIONS = 3;
/** Bounds a failing test only: three rotations take about 20 s. */
const DEADLINE_MS = 90_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Replica {
  readonly process: TesseraProcess;
  readonly rp: oidc.Configuration;
}

/** Creates the API and a client in the shared store before any replica starts. */
async function registerApiClient(env: Record<string, string>) {
  const config = loadConfig(env);
  const storage = openSqliteStorage({ path: (config.storage as { path: string }).path });
  try {
    const newEvent = createEventFactory({
      source: ISSUER,
      clock: Date.now,
      onInvalid: throwInvalidEvent,
    });
    await createResourceServerService({
      resourceServers: storage.resourceServers,
      clients: storage.clients,
      newEvent,
      clock: Date.now,
      defaultAccessTokenTtl: 3600,
    }).create({ audience: API, scopes: ['orders:read'] });
    const { client, secret } = await createClientService({
      clients: storage.clients,
      hasher: createClientSecretHasher(config.secrets.secretPepper, 32),
      // The metadata below is what a conforming admin call would send; no provider runs here.
      validateMetadata: async () => undefined,
      production: false,
      newEvent,
      clock: Date.now,
      // Nothing is deleted here.
      deletionEventsFor: () => [],
      tokensOutliveDeletionBy: 0,
      tokenRevocation: {
        models: storage.oidcModels,
        holdingsEventsFor: () => [],
        longestAccessTokenTtl: 0,
      },
    }).create({
      name: 'relying party',
      metadata: { grant_types: ['client_credentials'], scope: 'orders:read' },
    });
    return { clientId: client.clientId, clientSecret: secret?.secret as string };
  } finally {
    await storage.close();
  }
}

describe('two Tessera processes rotating keys on one store', () => {
  let dataDir: string;
  let replicas: Replica[];
  let store: Storage;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-replicas-'));
    const env = {
      TESSERA_DATA_DIR: dataDir,
      TESSERA_ISSUER: ISSUER,
      ...testSecrets(),
      TESSERA_JWKS_MAX_AGE: String(MAX_AGE_S),
      TESSERA_KEY_POLL_INTERVAL: String(POLL_S),
      TESSERA_KEY_ROTATION_INTERVAL: String(INTERVAL_S),
    };
    const client = await registerApiClient(env);
    // Started together: one creates the first keys under the lease, the other waits for them.
    const processes = await Promise.all([spawnTessera(env), spawnTessera(env)]);
    replicas = processes.map((process) => {
      const rp = new oidc.Configuration(
        { issuer: ISSUER, token_endpoint: `${process.origin}/token` },
        client.clientId,
        undefined,
        oidc.ClientSecretBasic(client.clientSecret),
      );
      oidc.allowInsecureRequests(rp);
      return { process, rp };
    });
    store = openSqliteStorage({ path: join(dataDir, 'tessera.sqlite') });
  });

  afterAll(async () => {
    await store?.close();
    for (const replica of replicas ?? []) replica.process.child.kill('SIGTERM');
    await Promise.all((replicas ?? []).map((replica) => replica.process.exited));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'keeps every token verifiable through three rotations, one per interval, with one JWKS',
    async () => {
      const jwksOf = async (replica: Replica) =>
        (await fetch(`${replica.process.origin}/jwks`)).text();

      // The relying party: jose's remote JWKS behind a round-robin "load balancer", caching for
      // the max-age Tessera announces, with jose's default 30 s cooldown. Within a cooldown jose
      // never refetches for an unknown kid, so a key that signed before this RP could have
      // fetched it fails verification.
      const announced = (await fetch(`${replicas[0]?.process.origin}/jwks`)).headers.get(
        'cache-control',
      );
      expect(announced).toBe(`public, max-age=${MAX_AGE_S}`);
      let jwksFetches = 0;
      const remoteJwks = createRemoteJWKSet(new URL(`${ISSUER}/jwks`), {
        cacheMaxAge: MAX_AGE_S * 1000,
        [customFetch]: (url, options) => {
          const replica = replicas[(jwksFetches += 1) % replicas.length] as Replica;
          return fetch(url.replace(ISSUER, replica.process.origin), options);
        },
      });

      // An observer: when each kid is first served by every replica, and how long they disagree.
      const servedByAllSince = new Map<string, number>();
      let divergedSince: number | undefined;
      let longestDivergenceMs = 0;
      let observing = true;
      const observer = (async () => {
        while (observing) {
          const bodies = await Promise.all(replicas.map(jwksOf));
          const now = Date.now();
          const kidSets = bodies.map(
            (body) =>
              new Set((JSON.parse(body) as { keys: { kid: string }[] }).keys.map((k) => k.kid)),
          );
          for (const kid of kidSets[0] ?? []) {
            if (kidSets.every((set) => set.has(kid)) && !servedByAllSince.has(kid)) {
              servedByAllSince.set(kid, now);
            }
          }
          if (bodies.every((body) => body === bodies[0])) {
            divergedSince = undefined;
          } else {
            divergedSince ??= now;
            longestDivergenceMs = Math.max(longestDivergenceMs, now - divergedSince);
          }
          await sleep(100);
        }
      })();

      const initialKid = (
        JSON.parse(await jwksOf(replicas[0] as Replica)) as { keys: { kid: string; alg: string }[] }
      ).keys.find((key) => key.alg === 'ES256')?.kid;
      const firstSignedAt = new Map<string, number>();
      const failures: { kid: string; error: string }[] = [];
      const verifiedKids = new Set<string>();
      let issued = 0;
      let verified = 0;
      let thirdRotationAt: number | undefined;
      const started = Date.now();

      for (let i = 0; Date.now() - started < DEADLINE_MS; i += 1) {
        const replica = replicas[i % replicas.length] as Replica;
        const { access_token: token } = await oidc.clientCredentialsGrant(replica.rp, {
          resource: API,
          scope: 'orders:read',
        });
        const kid = decodeProtectedHeader(token).kid as string;
        if (!firstSignedAt.has(kid)) firstSignedAt.set(kid, Date.now());
        issued += 1;
        try {
          await jwtVerify(token, remoteJwks, { issuer: ISSUER, audience: API });
          verified += 1;
          verifiedKids.add(kid);
        } catch (error) {
          failures.push({ kid, error: String(error) });
        }
        if (thirdRotationAt === undefined) {
          const events = await store.outbox.listRecent({ type: 'tessera.keys.rotated', limit: 10 });
          if (events.length >= ROTATIONS) thirdRotationAt = Date.now();
        } else if (firstSignedAt.size > ROTATIONS) {
          // The last generation has signed (and been verified, or failed): every key has had a turn.
          break;
        }
        // Pacing only, so the replicas are not flooded; nothing waits on it.
        await sleep(20);
      }
      observing = false;
      await observer;

      // Zero verification failures, through every rotation.
      expect(failures).toEqual([]);
      expect(thirdRotationAt, 'three rotations happened before the deadline').toBeDefined();
      expect(firstSignedAt.size).toBe(ROTATIONS + 1);
      expect(verified).toBe(issued);
      expect(verifiedKids.size).toBe(ROTATIONS + 1);

      // Exactly one rotation per interval, each done by exactly one of the two processes.
      const events = (
        await store.outbox.listRecent({ type: 'tessera.keys.rotated', limit: 10 })
      ).reverse();
      expect(events).toHaveLength(ROTATIONS);
      expect(events.map((event) => event.data.reason)).toEqual([
        'scheduled',
        'scheduled',
        'scheduled',
      ]);
      const rotationLogs = replicas
        .map(
          (replica) => replica.process.output().match(/"msg":"signing keys rotated/g)?.length ?? 0,
        )
        .reduce((a, b) => a + b, 0);
      expect(rotationLogs).toBe(ROTATIONS);
      const activations = (await store.signingKeys.list())
        .filter((key) => key.alg === 'ES256' && key.activatedAt !== undefined)
        .map((key) => key.activatedAt as number)
        .sort((a, b) => a - b);
      expect(activations).toHaveLength(ROTATIONS + 1);
      for (let i = 1; i < activations.length; i += 1) {
        const gap = (activations[i] as number) - (activations[i - 1] as number);
        // Never early; late only by the replicas' timers (a skipped interval would double it).
        expect(gap).toBeGreaterThanOrEqual(INTERVAL_S * 1000);
        expect(gap).toBeLessThan(2 * INTERVAL_S * 1000);
      }

      // No rotated-in key signed before every replica had served it for at least one max-age.
      for (const [kid, signedAt] of firstSignedAt) {
        if (kid === initialKid) continue;
        const servedSince = servedByAllSince.get(kid);
        expect(servedSince, `${kid} was served before it signed`).toBeDefined();
        expect(signedAt - (servedSince as number)).toBeGreaterThanOrEqual(MAX_AGE_S * 1000);
      }

      // Both processes serve the same JWKS again after each change (a poll, nominally), well
      // before a key created by the change may sign, one interval later.
      expect(longestDivergenceMs).toBeLessThan((INTERVAL_S - MAX_AGE_S) * 1000);
      await waitFor(async () => {
        const [a, b] = await Promise.all(replicas.map(jwksOf));
        return a === b ? true : undefined;
      });
    },
    DEADLINE_MS + 60_000,
  );
});
