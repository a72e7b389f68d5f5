import { Worker } from 'node:worker_threads';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startArgon2Worker } from '../../src/services/passwords/argon2-pool.ts';

import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
  PASSWORD,
  registerAppClient,
} from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

// One argon2 worker holds 32 waiting checks; this many at once must overflow it.
const CONCURRENT = 48;

describe('sign-in under more load than the argon2 pool takes', () => {
  let t: TestTessera;

  beforeAll(async () => {
    t = await startTestTessera({
      TESSERA_ARGON2_WORKERS: '1',
      // Every attempt must reach the password check: no throttling in the way.
      TESSERA_LOGIN_THROTTLE_AFTER: '1000',
      TESSERA_LOGIN_LOCKOUT_AFTER: '1000',
      TESSERA_LOGIN_IP_MAX_FAILURES: '1000000',
    });
    await createUser(t);
  });
  afterAll(() => t.stop());

  it('answers the overflow at once with a "busy" page (503) instead of queueing without bound', async () => {
    const app = await registerAppClient(t, { public: true });
    const browser = new BrowserSession();
    const request = await authorizationRequest(app);
    const { page } = await browser.follow(request.url.href, t.issuer);
    const action = new URL(formAction(page.body, '/login'), t.issuer).href;
    const form = {
      csrf: formValue(page.body, 'csrf'),
      username: 'alice',
      password: 'not it at all',
    };

    const responses = await Promise.all(
      Array.from({ length: CONCURRENT }, () => browser.request(action, { form })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status !== 400 && status !== 503)).toEqual([]);
    const busy = responses.filter((response) => response.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.body).toContain('The service is busy. Try again in a moment.');
    expect(statuses.filter((status) => status === 400).length).toBeGreaterThanOrEqual(32);
  });
});

describe('sign-in while no argon2 worker can start', () => {
  let t: TestTessera;
  let broken = false;
  const workers: Worker[] = [];
  const errorLines = () =>
    t.logs.filter((line) => line['component'] === 'argon2-pool' && line['level'] === 50);

  beforeAll(async () => {
    t = await startTestTessera(
      { TESSERA_ARGON2_WORKERS: '1' },
      {
        // Healthy while the user is created; then every new worker fails to load.
        startArgon2Worker: () => {
          const worker = broken
            ? new Worker("throw new Error('argon2 module missing')", { eval: true })
            : startArgon2Worker();
          workers.push(worker);
          return worker;
        },
      },
    );
    await createUser(t);
    broken = true;
    // The only worker dies. Threads start on demand, so the next password check starts its
    // replacements, which fail to load (backoff 0.1 s, 0.2 s, then 503s).
    await workers[0]!.terminate();
    await t.tessera.accounts
      .create({ username: 'carol', password: 'a third long passphrase' })
      .catch(() => undefined);
    for (let waited = 0; errorLines().length === 0 && waited < 10_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  afterAll(() => t.stop());

  it('logs one clear error line naming the cause', () => {
    expect(errorLines()).toHaveLength(1);
    expect(errorLines()[0]).toMatchObject({
      msg: 'argon2 worker threads cannot start: sign-in and password changes answer 503 until one does',
      err: { message: 'argon2 module missing' },
    });
  });

  it('answers a sign-in at once with a 503 page that says to try again later', async () => {
    const app = await registerAppClient(t, { public: true });
    const browser = new BrowserSession();
    const request = await authorizationRequest(app);
    const { page } = await browser.follow(request.url.href, t.issuer);
    const action = new URL(formAction(page.body, '/login'), t.issuer).href;
    const started = Date.now();
    const response = await browser.request(action, {
      form: { csrf: formValue(page.body, 'csrf'), username: 'alice', password: PASSWORD },
    });
    expect(response.status).toBe(503);
    expect(response.body).toContain(
      'Signing in is temporarily unavailable. Try again in a few minutes.',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses to create a user with a 503 problem rather than a 500', async () => {
    await expect(
      t.tessera.accounts.create({ username: 'bob', password: 'another long passphrase' }),
    ).rejects.toMatchObject({ name: 'AppError', code: 'temporarily_unavailable' });
  });
});
