import { interactionPolicy } from 'oidc-provider';

import { ACR } from '../services/authentication-context.ts';

type Policy = ReturnType<typeof interactionPolicy.base>;

/** The login prompt's reason when an application asks for a phishing-resistant sign-in. */
export const STEP_UP_REASON = 'phishing_resistant_requested';

/**
 * Step-up to a passkey: an application whose `acr_values` (OIDC Core section 3.1.2.1, voluntary)
 * names the phishing-resistant class gets the sign-in page even inside a live session whose
 * sign-in did not reach it (a password, an app code), so the person can use a passkey there.
 * oidc-provider alone only re-prompts for an Essential acr (essential-acr.ts). Voluntary stays
 * voluntary: once a sign-in was performed for this request, whatever it achieved is accepted and
 * the ID token's `acr` says what that was; `prompt=none` gets login_required.
 */
export function installPhishingResistantStepUp(policy: Policy): void {
  policy.get('login')?.checks.add(
    new interactionPolicy.Check(
      STEP_UP_REASON,
      'the application asked for a phishing-resistant sign-in',
      (ctx) => {
        const values = ctx.oidc.params?.['acr_values'];
        const requested = typeof values === 'string' ? values.split(' ') : [];
        const asked = requested.includes(ACR.phishingResistant);
        const reached = ctx.oidc.acr === ACR.phishingResistant;
        if (!asked || reached || ctx.oidc.result?.['login']) {
          return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        }
        return interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );
}
