import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/create-logger.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { sampleValue, scrape } from '../helpers/prometheus-text.ts';
import { seedTessera } from '../helpers/seed-tessera.ts';
import { formAction, formValue, PASSWORD, REDIRECT_URI } from '../helpers/sign-in-fixtures.ts';
import {
  removeSharedStore,
  sharedStoreEnv,
  STORAGE_BACKENDS,
} from '../helpers/storage-backends.ts';
import { spawnTessera, type TesseraProcess } from '../helpers/tessera-process.ts';
import { CHEAP_ARGON2 } from '../helpers/test-tessera.ts';

// Both replicas claim one issuer, as they would behind a load balancer.
const ISSUER = 'http://tessera.test';
const LIMIT = 5;
const BURST = 40;

/**
 * Small limits, so that a burst is many times over them: 5 failures lock an account (no delay
 * before, so only the lockout bounds the burst), 5 exhaust an IP. Client IPs come from
 * X-Forwarded-For, as behind a proxy, so each test picks its own.
 */
const LIMITS = {
  TESSERA_LOGIN_THROTTLE_AFTER: String(LIMIT),
  TESSERA_LOGIN_LOCKOUT_AFTER: String(LIMIT),
  TESSERA_LOGIN_IP_MAX_FAILURES: String(LIMIT),
  TESSERA_TRUST_PROXY: 'true',
};

describe.each(STORAGE_BACKENDS)('sign-in throttling across two processes (%s store)', (backend) => {
  let env: Record<string, string>;
  let replicas: TesseraProcess[] = [];
  let clientId: string;

  beforeAll(async () => {
    env = { ...sharedStoreEnv(backend), ...CHEAP_ARGON2, ...LIMITS, TESSERA_ISSUER: ISSUER };
    clientId = await seedTessera(env, async (tessera) => {
      for (const username of ['alice', 'bob', 'carol']) {
        await tessera.accounts.create({ username, password: PASSWORD });
      }
      const { client } = await tessera.clients.create({
        name: 'Photo Gallery',
        metadata: {
          grant_types: ['authorization_code'],
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'none',
          scope: 'openid',
        },
      });
      return client.clientId;
    });
    replicas = await Promise.all([spawnTessera(env), spawnTessera(env)]);
  });

  afterAll(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
    await removeSharedStore(env);
  });

  /** A sign-in form, opened at the first replica; it may be posted to either. */
  async function openSignInForm() {
    const browser = new BrowserSession();
    const request = new URL(`${replicas[0]!.origin}/auth`);
    request.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: oidc.randomState(),
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const { page } = await browser.follow(request.href, replicas[0]!.origin);
    const action = formAction(page.body, '/login');
    const csrf = formValue(page.body, 'csrf');
    /** Posts the form to replica `index % 2`, as client `ip`; answers the status. */
    return async (index: number, ip: string, username: string, password: string) => {
      const replica = replicas[index % replicas.length]!;
      const response = await browser.request(new URL(action, replica.origin).href, {
        form: { csrf, username, password },
        headers: { 'x-forwarded-for': ip },
      });
      return response.status;
    };
  }

  /** Every wrong password checked so far: one `tessera.login.failed` event each, in the store. */
  async function failedEvents(): Promise<number> {
    const config = loadConfig({ ...env, PORT: '0' });
    const storage = await openStorage(config, { logger: createLogger('silent') });
    try {
      return (await storage.outbox.listRecent({ type: 'tessera.login.failed', limit: 500 })).length;
    } finally {
      await storage.close();
    }
  }

  /** The same count as each replica's metrics have it, summed. */
  async function invalidCredentialsCounted(): Promise<number> {
    let total = 0;
    for (const replica of replicas) {
      const samples = await scrape(replica.origin);
      total += sampleValue(samples, 'tessera_logins_total', { result: 'invalid_credentials' }) ?? 0;
    }
    return total;
  }

  const statusCounts = (statuses: number[]) =>
    Object.fromEntries(
      [...new Set(statuses)].sort().map((s) => [s, statuses.filter((x) => x === s).length]),
    );

  it('checks no more than 5 of 40 concurrent wrong passwords for one account, then refuses the right one', async () => {
    const post = await openSignInForm();
    const before = await failedEvents();
    const statuses = await Promise.all(
      Array.from({ length: BURST }, (_, index) =>
        post(index, `198.51.100.${index + 1}`, 'alice', `wrong ${index}`),
      ),
    );
    const checked = (await failedEvents()) - before;
    // At most the limit; exactly, as nothing gives a turn back here.
    expect(checked).toBe(LIMIT);
    expect(await invalidCredentialsCounted()).toBe(checked);
    expect(statusCounts(statuses)).toEqual({ 400: LIMIT, 429: BURST - LIMIT });

    for (const index of [0, 1]) {
      expect(await post(index, '198.51.100.200', 'alice', PASSWORD)).toBe(429);
    }
  });

  it('checks no more than 5 of 40 concurrent attempts from one IP at many usernames', async () => {
    const post = await openSignInForm();
    const before = await failedEvents();
    const countedBefore = await invalidCredentialsCounted();
    const statuses = await Promise.all(
      Array.from({ length: BURST }, (_, index) =>
        post(index, '203.0.113.7', index % 4 === 0 ? 'bob' : `nobody-${index}`, 'wrong'),
      ),
    );
    const checked = (await failedEvents()) - before;
    expect(checked).toBe(LIMIT);
    expect((await invalidCredentialsCounted()) - countedBefore).toBe(checked);
    expect(statusCounts(statuses)).toEqual({ 400: LIMIT, 429: BURST - LIMIT });

    for (const index of [0, 1]) {
      expect(await post(index, '203.0.113.7', 'carol', PASSWORD)).toBe(429);
    }
    // Refused for its IP alone: from another one the same sign-in goes through (a redirect).
    expect(await post(1, '203.0.113.8', 'carol', PASSWORD)).toBe(303);
  });
});
