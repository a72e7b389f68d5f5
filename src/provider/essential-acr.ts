import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

import { isSupportedAcr } from '../services/authentication-context.ts';

type Policy = ReturnType<typeof interactionPolicy.base>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The acr values an Essential `acr` request accepts (OIDC Core section 5.5.1.1: the claims
 * parameter's `{"id_token":{"acr":{"essential":true,"values":[…]}}}`, or `value`), or undefined
 * when `acr` is not requested as Essential with values: then any acr will do. Malformed values
 * are invalid_request, as oidc-provider's own check answers them
 * (lib/helpers/interaction_policy/prompts/login.js).
 */
function essentialAcrValues(claims: unknown): readonly string[] | undefined {
  const request = isObject(claims) && isObject(claims['id_token']) ? claims['id_token'].acr : null;
  if (!isObject(request) || request['essential'] !== true) return undefined;
  if ('values' in request) {
    const { values } = request;
    if (!Array.isArray(values) || !values.every((value) => typeof value === 'string')) {
      throw new errors.InvalidRequest('claims.id_token.acr.values must be an array of strings');
    }
    return values;
  }
  if ('value' in request) {
    if (typeof request['value'] !== 'string') {
      throw new errors.InvalidRequest('claims.id_token.acr.value must be a string');
    }
    return [request['value']];
  }
  return undefined;
}

/**
 * The Essential acr of the request as the client sent it. Read from the `claims` parameter
 * itself, not from ctx.oidc.claims: oidc-provider lets `acr_values` replace the claims
 * parameter's `id_token.acr` with a Voluntary request (lib/actions/authorization/claims.js,
 * assignClaims), which would quietly drop the client's requirement.
 */
function essentialAcrOf(ctx: KoaContextWithOIDC): readonly string[] | undefined {
  const raw = ctx.oidc.params?.['claims'];
  if (typeof raw !== 'string') return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(raw);
  } catch {
    return undefined; // oidc-provider already refused it (checkClaims)
  }
  return essentialAcrValues(claims);
}

const unmet = () =>
  new errors.UnmetAuthenticationRequirements(
    'none of the essential acr values requested can be achieved',
  );

/**
 * features.claimsParameter.assertClaimsParameter: an Essential acr naming only classes Tessera
 * can never achieve fails before anyone is asked to sign in. OIDC Core section 5.5.1.1 makes
 * that outcome a failed authentication, and OpenID Connect Core Error Code
 * unmet_authentication_requirements 1.0 names its error; it is redirected to the client like
 * any authorization error once the redirect_uri has been checked.
 */
export function assertSatisfiableAcr(_ctx: KoaContextWithOIDC, claims: unknown): void {
  const wanted = essentialAcrValues(claims);
  if (wanted && !wanted.some(isSupportedAcr)) throw unmet();
}

/**
 * Replaces oidc-provider's `essential_acr` and `essential_acrs` login checks with one that
 * ends: theirs ask for a sign-in again whenever the session's acr is not a requested one, so a
 * sign-in that cannot reach it would be asked for for ever. Here a session below the requested
 * class is asked to sign in again (prompt=none: login_required), and when the sign-in just
 * performed still did not achieve one of the values, the authorization fails with
 * unmet_authentication_requirements (OIDC Core section 5.5.1.1).
 */
export function installEssentialAcrCheck(policy: Policy): void {
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider policy has no login prompt');
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  login.checks.add(
    new interactionPolicy.Check(
      'essential_acr',
      'requested ACR could not be obtained',
      (ctx) => {
        const wanted = essentialAcrOf(ctx);
        if (!wanted || (ctx.oidc.acr !== undefined && wanted.includes(ctx.oidc.acr))) {
          return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        }
        if (!wanted.some(isSupportedAcr) || ctx.oidc.result?.['login']) throw unmet();
        return interactionPolicy.Check.REQUEST_PROMPT;
      },
      (ctx) => ({ acr: { essential: true, values: essentialAcrOf(ctx) } }),
    ),
  );
}
