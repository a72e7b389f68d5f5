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
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/**
 * A submitted page hands its result back on the interaction it loaded and checked
 * (interaction-tools.ts `finish`), rather than through provider.interactionResult, which reads
 * the interaction and its session from the store a second time.
 */
describe('the store reads of a submitted sign-in or consent page', () => {
  let t: TestTessera;
  let app: AppClient;
  /** Store reads of interactions and sessions since the last reset, `<model> <method>`. */
  const reads = new Map<string, number>();
  const count = (key: string) => reads.set(key, (reads.get(key) ?? 0) + 1);

  beforeAll(async () => {
    const storage = openSqliteStorage({
      path: join(mkdtempSync(join(tmpdir(), 'tessera-page-reads-')), 'tessera.sqlite'),
    });
    const models = storage.oidcModels;
    const find = models.find.bind(models);
    const findByUid = models.findByUid.bind(models);
    models.find = (model, id) => {
      if (model === 'Interaction' || model === 'Session') count(`${model} find`);
      return find(model, id);
    };
    models.findByUid = (model, uid) => {
      count(`${model} findByUid`);
      return findByUid(model, uid);
    };
    t = await startTestTessera({}, { storage });
    await createUser(t);
    app = await registerAppClient(t);
  });
  afterAll(() => t.stop());

  it('reads the interaction once to sign in and the interaction and session once to consent', async () => {
    const browser = new BrowserSession();
    const { url } = await authorizationRequest(app);
    const login = await browser.follow(url.href, t.issuer);

    reads.clear();
    const signedIn = await browser.request(
      new URL(formAction(login.page.body, '/login'), t.issuer).href,
      {
        form: { csrf: formValue(login.page.body, 'csrf'), username: 'alice', password: PASSWORD },
      },
    );
    expect(signedIn.status).toBe(303);
    expect(Object.fromEntries(reads)).toEqual({ 'Interaction find': 1 });

    const consent = await browser.follow(
      new URL(signedIn.headers.get('location') ?? '', t.issuer).href,
      t.issuer,
    );
    reads.clear();
    const consented = await browser.request(
      new URL(formAction(consent.page.body, '/confirm'), t.issuer).href,
      { form: { csrf: formValue(consent.page.body, 'csrf') } },
    );
    expect(consented.status).toBe(303);
    expect(Object.fromEntries(reads)).toEqual({ 'Interaction find': 1, 'Session findByUid': 1 });

    const back = await browser.follow(
      new URL(consented.headers.get('location') ?? '', t.issuer).href,
      t.issuer,
    );
    expect(back.leftTo?.searchParams.get('code')).toEqual(expect.any(String));
  });
});
