import type { KoaContextWithOIDC } from 'oidc-provider';

type Grant = InstanceType<KoaContextWithOIDC['oidc']['provider']['Grant']>;

/**
 * oidc-provider's loadExistingGrant (lib/helpers/defaults.js) plus one step: the claims the
 * `claims` parameter names (OIDC Core section 5.5) are recorded on the grant before the prompts
 * are decided.
 *
 * oidc-provider keeps a requested claim out of tokens unless the grant lists it
 * (lib/helpers/filter_claims.js), and asks for consent again for any claim the grant has not
 * met yet (`op_claims_missing`, lib/helpers/interaction_policy/prompts/consent.js). Tessera
 * releases claims by granted scope alone (account-claims.ts), so a claim of a scope the person
 * already granted needs no new consent, and one outside them is never released whatever the
 * grant lists: recording them here spares the person a consent page that would ask nothing.
 * A grant's first consent records them itself (interactions/consent.ts).
 */
export async function loadGrantRecordingRequestedClaims(
  ctx: KoaContextWithOIDC,
): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const clientId = oidc.client?.clientId;
  if (!clientId) return undefined;
  const grantId =
    (oidc.result?.['consent'] as { grantId?: string } | undefined)?.grantId ??
    oidc.session?.grantIdFor(clientId);
  if (!grantId) return undefined;
  const grant = await oidc.provider.Grant.find(grantId);
  // oidc-provider refuses a grant of another account or client (lib/actions/authorization/
  // session.js); leave such a grant untouched for it to do so.
  if (!grant || grant.accountId !== oidc.account?.accountId || grant.clientId !== clientId) {
    return grant;
  }
  const recorded = new Set(grant.getOIDCClaimsEncountered());
  const unrecorded = [...oidc.requestParamClaims].filter((claim) => !recorded.has(claim));
  if (unrecorded.length > 0) {
    grant.addOIDCClaims(unrecorded);
    await grant.save();
  }
  return grant;
}
