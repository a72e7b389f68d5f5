import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { describe, expect, it } from 'vitest';

import { installEssentialAcrCheck } from '../../src/provider/essential-acr.ts';
import { ACR } from '../../src/services/authentication-context.ts';

/** The login prompt's checks with Tessera's essential-acr check in place. */
function essentialAcrCheck() {
  const policy = interactionPolicy.base();
  installEssentialAcrCheck(policy);
  const checks = policy.get('login')!.checks;
  return { checks, check: checks.get('essential_acr')! };
}

/** Just enough of oidc-provider's context for the check: the request and the session's acr. */
const contextWith = (options: { claims?: unknown; acr?: string; signedInJustNow?: boolean }) =>
  ({
    oidc: {
      params: options.claims === undefined ? {} : { claims: JSON.stringify(options.claims) },
      acr: options.acr,
      result: options.signedInJustNow ? { login: { accountId: 'acc_1' } } : undefined,
    },
  }) as unknown as KoaContextWithOIDC;

const essential = (values: string[]) => ({ id_token: { acr: { essential: true, values } } });

describe('the essential acr login check', () => {
  it("takes the place of oidc-provider's two checks, which would ask for a sign-in for ever", () => {
    const { checks } = essentialAcrCheck();
    expect(checks.map((check) => check.reason).filter((r) => r.includes('acr'))).toEqual([
      'essential_acr',
    ]);
  });

  it('lets a session through whose acr is one of the essential values', async () => {
    const ctx = contextWith({ claims: essential([ACR.singleFactor]), acr: ACR.singleFactor });
    expect(await essentialAcrCheck().check.check(ctx)).toBe(
      interactionPolicy.Check.NO_NEED_TO_PROMPT,
    );
  });

  it('asks a session without that acr to sign in again', async () => {
    const ctx = contextWith({ claims: essential([ACR.singleFactor]) });
    expect(await essentialAcrCheck().check.check(ctx)).toBe(interactionPolicy.Check.REQUEST_PROMPT);
  });

  it('fails with unmet_authentication_requirements when the sign-in just made did not achieve it', async () => {
    const ctx = contextWith({ claims: essential([ACR.singleFactor]), signedInJustNow: true });
    expect(() => essentialAcrCheck().check.check(ctx)).toThrow(
      errors.UnmetAuthenticationRequirements,
    );
  });

  it('fails at once for values no sign-in can achieve', async () => {
    const ctx = contextWith({ claims: essential(['phrh']), acr: ACR.singleFactor });
    expect(() => essentialAcrCheck().check.check(ctx)).toThrow(
      errors.UnmetAuthenticationRequirements,
    );
  });

  it('ignores a voluntary acr request and a request without claims', async () => {
    const voluntary = contextWith({ claims: { id_token: { acr: { values: ['phrh'] } } } });
    expect(await essentialAcrCheck().check.check(voluntary)).toBe(
      interactionPolicy.Check.NO_NEED_TO_PROMPT,
    );
    expect(await essentialAcrCheck().check.check(contextWith({}))).toBe(
      interactionPolicy.Check.NO_NEED_TO_PROMPT,
    );
  });
});
