import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  formAction,
  formValue,
  PASSWORD,
  registerAppClient,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/**
 * The second-factor page reads the account's factors once per request
 * (FactorService.secondFactorStepOf), not once for the methods it offers and again for the
 * authenticator app being set up.
 */
describe('the factor reads of the second-factor page (TESSERA_MFA=required)', () => {
  let t: TestTessera;
  let app: AppClient;
  /** Reads of the account factor store since the last reset, by method. */
  const reads = new Map<string, number>();
  const count = (key: string) => reads.set(key, (reads.get(key) ?? 0) + 1);

  beforeAll(async () => {
    const storage = openSqliteStorage({
      path: join(mkdtempSync(join(tmpdir(), 'tessera-factor-reads-')), 'tessera.sqlite'),
    });
    const factors = storage.accountFactors;
    const get = factors.get.bind(factors);
    const listByAccount = factors.listByAccount.bind(factors);
    factors.get = (id) => {
      count('get');
      return get(id);
    };
    factors.listByAccount = (accountId) => {
      count('listByAccount');
      return listByAccount(accountId);
    };
    t = await startTestTessera({ ...CHEAP_ARGON2, TESSERA_MFA: 'required' }, { storage });
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  /** A new browser's password step: where its answer sends the browser to next. */
  async function passwordStep(username: string) {
    await createUser(t, username);
    const browser = new BrowserSession();
    const login = await browser.follow((await authorizationRequest(app)).url.href, t.issuer);
    const answer = await browser.request(
      new URL(formAction(login.page.body, '/login'), t.issuer).href,
      { form: { csrf: formValue(login.page.body, 'csrf'), username, password: PASSWORD } },
    );
    expect(answer.status).toBe(303);
    return { browser, next: new URL(answer.headers.get('location') ?? '', t.issuer).href };
  }

  it('reads the factors once to show the page that sets up an app, and once to show it anew', async () => {
    const { browser, next } = await passwordStep('joan');

    reads.clear();
    const first = await browser.follow(next, t.issuer);
    expect(first.page.body).toContain('value="totp_enrolment"');
    expect(Object.fromEntries(reads)).toEqual({ listByAccount: 1 });

    reads.clear();
    const again = await browser.follow(next, t.issuer);
    const secret = /id="totp-secret">([A-Z2-7]+)</;
    expect(secret.exec(again.page.body)?.[1]).toBe(secret.exec(first.page.body)?.[1]);
    expect(Object.fromEntries(reads)).toEqual({ listByAccount: 1 });
  });

  it('reads the factors once to show the page again after a wrong code, besides checking it', async () => {
    const { browser, next } = await passwordStep('jane');
    const { page } = await browser.follow(next, t.issuer);
    const action = new URL(formAction(page.body, '/second-factor'), t.issuer).href;

    reads.clear();
    const wrong = await browser.follow(action, t.issuer, {
      form: { csrf: formValue(page.body, 'csrf'), method: 'totp_enrolment', code: 'wrong' },
    });
    expect(wrong.page.status).toBe(400);
    expect(wrong.page.body).toContain('value="totp_enrolment"');
    // One `get` for the check (FactorService.confirmTotp), one list for the page.
    expect(Object.fromEntries(reads)).toEqual({ get: 1, listByAccount: 1 });
  });
});
