import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
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
