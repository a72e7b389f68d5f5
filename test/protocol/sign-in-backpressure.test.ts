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
import { waitFor } from '../helpers/tessera-process.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

// One argon2 worker runs one check and holds 32 waiting; this many at once must overflow it.
const QUEUED_PER_WORKER = 32;
const CONCURRENT = 48;
const OVERFLOW = CONCURRENT - 1 - QUEUED_PER_WORKER;

/**
 * An argon2 worker speaking the pool's protocol (argon2-worker.ts) that the test can pause: after
 * `{ hold: true }` it keeps the tasks it gets until `{ release: true }`. The pool's messages and
 * the test's go through the same port, so they arrive in the order they were sent.
 */
const PAUSABLE_WORKER = `
  const { parentPort } = require('node:worker_threads');
  const { argon2Sync } = require('node:crypto');
  let held;
  const derive = (task) => {
    try {
      const tag = argon2Sync('argon2id', {
        message: task.message, nonce: task.nonce, memory: task.memoryKib,
        passes: task.iterations, parallelism: task.parallelism, tagLength: task.tagLength,
      });
      parentPort.postMessage({ tag: new Uint8Array(tag) });
    } catch (error) {
      parentPort.postMessage({ error: String(error && error.message) });
    }
  };
  parentPort.on('message', (message) => {
    if (message && message.hold) held = [];
    else if (message && message.release) { const tasks = held || []; held = undefined; tasks.forEach(derive); }
    else if (held) held.push(message);
    else derive(message);
  });
  parentPort.postMessage({ ready: true });`;

describe('sign-in under more load than the argon2 pool takes', () => {
  let t: TestTessera;
  const workers: Worker[] = [];

  beforeAll(async () => {
    t = await startTestTessera(
      {
        TESSERA_ARGON2_WORKERS: '1',
        // Every attempt must reach the password check: no throttling in the way.
        TESSERA_LOGIN_THROTTLE_AFTER: '1000',
        TESSERA_LOGIN_LOCKOUT_AFTER: '1000',
        TESSERA_LOGIN_IP_MAX_FAILURES: '1000000',
      },
      {
        startArgon2Worker: () => {
          const worker = new Worker(PAUSABLE_WORKER, { eval: true });
          workers.push(worker);
          return worker;
        },
      },
    );
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

    // The only worker keeps the first check, so the pool fills up whatever the machine's speed:
    // the overflow is answered while every accepted attempt still waits.
    expect(workers).toHaveLength(1);
    workers[0]!.postMessage({ hold: true });
    let answered = 0;
    let overflowAnswered!: () => void;
    const untilOverflowAnswered = new Promise<void>((resolve) => (overflowAnswered = resolve));
    const attempts = Array.from({ length: CONCURRENT }, async () => {
      const response = await browser.request(action, { form });
      if ((answered += 1) === OVERFLOW) overflowAnswered();
      return response;
    });
    await untilOverflowAnswered;
    workers[0]!.postMessage({ release: true });
    const responses = await Promise.all(attempts);

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status !== 400 && status !== 503)).toEqual([]);
    const busy = responses.filter((response) => response.status === 503);
    expect(busy).toHaveLength(OVERFLOW);
    expect(busy[0]!.body).toContain('The service is busy. Try again in a moment.');
    expect(statuses.filter((status) => status === 400)).toHaveLength(CONCURRENT - OVERFLOW);
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
    await waitFor(async () => (errorLines().length > 0 ? true : undefined));
  });
  afterAll(() => t.stop());

  it('logs one clear error line naming the cause', () => {
    expect(errorLines()).toHaveLength(1);
    expect(errorLines()[0]).toMatchObject({
      msg: 'argon2 worker threads cannot start: sign-in and password changes answer 503 until one does',
      err: { message: 'argon2 module missing' },
    });
  });

  // "At once": with no worker able to start, an attempt that queued for one would never be
  // answered (the pool starts none while it is unavailable), and this test would time out.
  it('answers a sign-in at once with a 503 page that says to try again later', async () => {
    const app = await registerAppClient(t, { public: true });
    const browser = new BrowserSession();
    const request = await authorizationRequest(app);
    const { page } = await browser.follow(request.url.href, t.issuer);
    const action = new URL(formAction(page.body, '/login'), t.issuer).href;
    const response = await browser.request(action, {
      form: { csrf: formValue(page.body, 'csrf'), username: 'alice', password: PASSWORD },
    });
    expect(response.status).toBe(503);
    expect(response.body).toContain(
      'Signing in is temporarily unavailable. Try again in a few minutes.',
    );
  });

  it('refuses to create a user with a 503 problem rather than a 500', async () => {
    await expect(
      t.tessera.accounts.create({ username: 'bob', password: 'another long passphrase' }),
    ).rejects.toMatchObject({ name: 'AppError', code: 'temporarily_unavailable' });
  });
});
