import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ACR } from '../../src/services/authentication-context.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import {
  authorizationRequest,
  createUser,
  REDIRECT_URI,
  registerAppClient,
  signInAndRedeem,
  type AppClient,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import { CHEAP_ARGON2, type TestTessera } from '../helpers/test-tessera.ts';

/**
 * OpenID Connect EAP ACR Values 1.0 `phrh`: phishing-resistant and hardware-protected, which
 * Tessera never claims (a passkey may be synced: it states `phr`).
 */
const PHISHING_RESISTANT = 'phrh';

const essentialAcr = (values: unknown) =>
  JSON.stringify({ id_token: { acr: { essential: true, values } } });

describe.each(STORAGE_BACKENDS)('acr and amr in ID tokens (%s store)', (backend) => {
  let t: TestTessera;
  let app: AppClient;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend, CHEAP_ARGON2);
    await createUser(t);
    app = await registerAppClient(t, { public: true });
  });
  afterAll(() => t.stop());

  /** Follows an authorization request with `params` in `browser` as far as it goes. */
  const start = async (params: Record<string, string>, browser = new BrowserSession()) => {
    const request = await authorizationRequest(app, { params });
    return { request, ...(await browser.follow(request.url.href, t.issuer)) };
  };

  it('states a password sign-in as amr ["pwd"] and the single-factor acr', async () => {
    const { tokens } = await signInAndRedeem(t, app);
    expect(tokens.claims()).toMatchObject({ amr: ['pwd'], acr: ACR.singleFactor });
  });

  it('keeps the acr and amr of the sign-in in ID tokens from a refresh', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { scope: 'openid offline_access', prompt: 'consent' },
    });
    const refreshed = await oidc.refreshTokenGrant(app.rp, tokens.refresh_token!);
    expect(decodeJwt(refreshed.id_token!)).toMatchObject({
      amr: ['pwd'],
      acr: ACR.singleFactor,
    });
  });

  it('publishes the acr values it can achieve and claims-parameter support in discovery', async () => {
    const metadata = (await (
      await fetch(`${t.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(metadata.acr_values_supported).toEqual([
      ACR.singleFactor,
      ACR.multiFactor,
      ACR.phishingResistant,
    ]);
    expect(metadata.claims_parameter_supported).toBe(true);
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr']));
  });

  it('answers acr_values with the acr the sign-in actually achieved', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { acr_values: `${PHISHING_RESISTANT} ${ACR.singleFactor}` },
    });
    expect(tokens.claims()?.acr).toBe(ACR.singleFactor);
  });

  it('still signs in when acr_values names only classes it cannot achieve (they are voluntary)', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { acr_values: PHISHING_RESISTANT },
    });
    expect(tokens.claims()?.acr).toBe(ACR.singleFactor);
  });

  it('signs in when an essential acr names a class the sign-in achieves', async () => {
    const { tokens } = await signInAndRedeem(t, app, undefined, {
      params: { claims: essentialAcr([PHISHING_RESISTANT, ACR.singleFactor]) },
    });
    expect(tokens.claims()?.acr).toBe(ACR.singleFactor);
  });

  it('fails an essential acr it cannot achieve with unmet_authentication_requirements, asking for no password', async () => {
    const { request, page, leftTo } = await start({ claims: essentialAcr([PHISHING_RESISTANT]) });
    expect(page.body).not.toContain('name="password"');
    expect(leftTo?.origin + leftTo!.pathname).toBe(REDIRECT_URI);
    expect(leftTo?.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(leftTo?.searchParams.get('state')).toBe(request.state);
    expect(leftTo?.searchParams.get('iss')).toBe(t.issuer);
    expect(leftTo?.searchParams.has('code')).toBe(false);
  });

  it('fails it for a person already signed in too, and for the single-value form', async () => {
    const browser = new BrowserSession();
    await signInAndRedeem(t, app, browser);
    const claims = JSON.stringify({
      id_token: { acr: { essential: true, value: PHISHING_RESISTANT } },
    });
    const { leftTo } = await start({ claims }, browser);
    expect(leftTo?.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(leftTo?.searchParams.has('code')).toBe(false);
  });

  it('keeps the essential requirement when the request also carries acr_values', async () => {
    const { leftTo } = await start({
      claims: essentialAcr([PHISHING_RESISTANT]),
      acr_values: ACR.singleFactor,
    });
    expect(leftTo?.searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('refuses essential acr values that are not a list of strings with invalid_request', async () => {
    const { leftTo } = await start({ claims: essentialAcr(PHISHING_RESISTANT) });
    expect(leftTo?.searchParams.get('error')).toBe('invalid_request');
    expect(leftTo?.searchParams.get('error_description')).toContain('acr.values');
  });
});
