import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import { expectRefusal, sendHostile, sendRawBytes } from '../helpers/hostile-requests.ts';
import { basicAuth, postForm, registerClient } from '../helpers/oauth-fixtures.ts';
import {
  authorizationRequest,
  createUser,
  formValue,
  registerAppClient,
} from '../helpers/sign-in-fixtures.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';
import {
  AUTHORIZE_CASES,
  INTERACTION_CASES,
  LOGOUT_CASES,
} from './bad-input/browser-route-cases.ts';
import type { Case, Fixture } from './bad-input/case-table.ts';
import {
  INTROSPECTION_CASES,
  REVOCATION_CASES,
  TOKEN_CASES,
  USERINFO_CASES,
} from './bad-input/machine-endpoint-cases.ts';
import { METRICS_TOKEN, PUBLIC_DOCUMENT_CASES } from './bad-input/public-document-cases.ts';

const SECTIONS: [string, Case[]][] = [
  ['/token', TOKEN_CASES],
  ['/token/introspection', INTROSPECTION_CASES],
  ['/token/revocation', REVOCATION_CASES],
  ['/me', USERINFO_CASES],
  ['/auth', AUTHORIZE_CASES],
  ['/interaction', INTERACTION_CASES],
  ['/session/end', LOGOUT_CASES],
  ['documents, probes and unknown paths', PUBLIC_DOCUMENT_CASES],
];

/**
 * Every bad input at the public routes gets a clear 4xx in the route's own shape — an OAuth
 * error body, problem+json, the human error page or the client's redirect with `error` — never
 * a 5xx, a stack trace or a file path; and the server keeps issuing tokens afterwards.
 */
describe('bad input at the public routes', () => {
  let t: TestTessera;
  let fixture: Fixture;

  beforeAll(async () => {
    t = await startTestTessera({
      TESSERA_METRICS_TOKEN: METRICS_TOKEN,
      ...CHEAP_ARGON2,
    });
    const machine = await registerClient(t);
    const app = await registerAppClient(t);
    await createUser(t);
    // A live interaction, as a browser holds it after the authorization request.
    const browser = new BrowserSession();
    const { page } = await browser.follow((await authorizationRequest(app)).url.href, t.issuer);
    const uid = /\/interaction\/([^/"]+)\/login/.exec(page.body)?.[1];
    if (!uid) throw new Error(`no login page:\n${page.body}`);
    const cookie = [...browser.cookiesFor(`${t.issuer}/interaction/${uid}/login`)]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
    fixture = {
      auth: basicAuth(machine.clientId, machine.clientSecret),
      appId: app.clientId,
      uid,
      cookie,
      csrf: formValue(page.body, 'csrf'),
    };
  });
  afterAll(() => t.stop());

  describe.each(SECTIONS)('%s', (_section, cases) => {
    it.each(cases)('answers $name cleanly', async ({ name, shape, request }) => {
      const probe = request(fixture);
      const answer = Buffer.isBuffer(probe)
        ? await sendRawBytes(t.issuer, probe)
        : await sendHostile(t.issuer, probe);
      expectRefusal(answer, shape, name);
    });
  });

  it('still issues a client-credentials token after all of the above', async () => {
    const result = await postForm(`${t.issuer}/token`, 'grant_type=client_credentials', {
      authorization: fixture.auth,
    });
    expect(result.status).toBe(200);
    expect(typeof result.body.access_token).toBe('string');
  });

  it('let no __proto__ or constructor key reach Object.prototype', () => {
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('logged no server error while refusing all of the above', () => {
    const errors = t.logs.filter((line) => Number(line.level) >= 50);
    expect(errors.map((line) => `${String(line.msg)}: ${JSON.stringify(line.err)}`)).toEqual([]);
  });
});
