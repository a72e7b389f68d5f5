import type Provider from 'oidc-provider';

import { isGrantableScope } from '../provider/authorization-scopes.ts';
import { formatMessage, type Messages } from './messages/catalog.ts';

type Grant = InstanceType<Provider['Grant']>;

/** The consent prompt's details (oidc-provider lib/helpers/interaction_policy/prompts/consent.js). */
export interface ConsentDetails {
  readonly missingOIDCScope?: readonly string[];
  readonly missingOIDCClaims?: readonly string[];
  readonly missingResourceScopes?: Readonly<Record<string, readonly string[]>>;
}

/** The missing scopes consent would grant, by resource ('' = the OpenID Connect scopes). */
function grantableScopes(
  client: object,
  details: ConsentDetails,
): { oidc: string[]; resources: [string, string[]][] } {
  const keep = (scopes: readonly string[] | undefined) =>
    (scopes ?? []).filter((scope) => isGrantableScope(client, scope));
  return {
    oidc: keep(details.missingOIDCScope),
    resources: Object.entries(details.missingResourceScopes ?? {}).map(([resource, scopes]) => [
      resource,
      keep(scopes),
    ]),
  };
}

/**
 * Records the person's consent on the grant: the grantable missing scopes are added, any other
 * requested scope is rejected, so the consent prompt does not come back for it and no token can
 * carry it (a second line of defence behind the authorization-endpoint check).
 */
export function applyConsent(grant: Grant, client: object, details: ConsentDetails): void {
  const granted = grantableScopes(client, details);
  const rejectedOidc = (details.missingOIDCScope ?? []).filter((s) => !granted.oidc.includes(s));
  if (granted.oidc.length > 0) grant.addOIDCScope(granted.oidc.join(' '));
  if (rejectedOidc.length > 0) grant.rejectOIDCScope(rejectedOidc.join(' '));
  // Claims the `claims` parameter asked for: recorded so the prompt does not come back for them.
  // That releases nothing by itself: only a granted scope does (provider/account-claims.ts).
  if (details.missingOIDCClaims?.length) grant.addOIDCClaims([...details.missingOIDCClaims]);
  for (const [resource, scopes] of granted.resources) {
    const rejected = (details.missingResourceScopes?.[resource] ?? []).filter(
      (scope) => !scopes.includes(scope),
    );
    if (scopes.length > 0) grant.addResourceScope(resource, scopes.join(' '));
    if (rejected.length > 0) grant.rejectResourceScope(resource, rejected.join(' '));
  }
}

/** Sentences for the consent page, one per permission asked for. */
export function describePermissions(
  messages: Messages,
  client: object,
  details: ConsentDetails,
): string[] {
  const granted = grantableScopes(client, details);
  const describe = (scope: string) =>
    messages.scopes[scope] ?? formatMessage(messages.consent.otherScope, { scope });
  return [
    ...granted.oidc.map(describe),
    ...granted.resources.flatMap(([resource, scopes]) =>
      scopes.map((scope) => formatMessage(messages.consent.resourceScope, { scope, resource })),
    ),
  ];
}
