import type { ClientDeletionOptions } from '../ports/clients.ts';
import type { OidcModelName, OidcModelStore, RemovalOptions } from '../ports/oidc-models.ts';
import type { RemovalEvents, RevocationReason } from './removal-events.ts';

/** Models whose removal is announced (tessera.token.revoked, tessera.grant.revoked). */
const REVOKED_MODELS: ReadonlySet<OidcModelName> = new Set([
  'AccessToken',
  'ClientCredentials',
  'RefreshToken',
  'Grant',
]);

/**
 * Models holding tokens of a grant, as oidc-provider's revoke helper (lib/helpers/revoke.js)
 * lists them. AccessToken includes the records of grant-bound JWT access tokens
 * (jwt-access-token-records.ts), so their `jti`s are announced too.
 */
const GRANT_MODELS: readonly OidcModelName[] = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
];

/**
 * RemovalOptions whose events announce what removing instances of `model` takes away; undefined
 * for models whose removal revokes nothing a client holds. The store records the events in the
 * removal's own write (RemovalOptions.eventsFor), so a crash cannot separate the two.
 */
export function revocationOptionsFor(
  removalEvents: RemovalEvents,
  model: OidcModelName,
  reason: RevocationReason,
): RemovalOptions | undefined {
  if (!REVOKED_MODELS.has(model)) return undefined;
  return {
    eventsFor: (removed) =>
      model === 'Grant'
        ? removalEvents.grantsRevoked(removed, reason)
        : removalEvents.tokensRevoked(model, removed, reason),
  };
}

/**
 * ClientDeletionOptions.eventsFor for what an administrator takes from a client, deleting it
 * (`client_deleted`) or revoking all its tokens (`client_tokens_revoked`): announced as any
 * revocation is (`tessera.token.revoked`, JWT records by `jti`; `tessera.grant.revoked`). Codes
 * and other short-lived models go without an event, as they do when a grant is revoked.
 */
export function clientHoldingsEventsFor(
  removalEvents: RemovalEvents,
  reason: Extract<RevocationReason, 'client_deleted' | 'client_tokens_revoked'>,
): NonNullable<ClientDeletionOptions['eventsFor']> {
  return (model, removed) =>
    revocationOptionsFor(removalEvents, model, reason)?.eventsFor?.(removed) ?? [];
}

/**
 * Revokes every token of a grant, then the grant, as oidc-provider's lib/helpers/revoke.js does.
 * The grant goes last, so a revocation cut short is completed by running it again (the grant is
 * still there to be found). Store errors pass through as they are.
 */
export async function revokeGrant(
  models: OidcModelStore,
  removalEvents: RemovalEvents,
  grantId: string,
  reason: RevocationReason,
): Promise<void> {
  for (const model of GRANT_MODELS) {
    await models.revokeByGrantId(
      model,
      grantId,
      revocationOptionsFor(removalEvents, model, reason),
    );
  }
  await models.destroy('Grant', grantId, revocationOptionsFor(removalEvents, 'Grant', reason));
}
