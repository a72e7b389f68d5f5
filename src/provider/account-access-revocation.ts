import type { OidcModelStore, OidcPayload } from '../ports/oidc-models.ts';
import type { AccountAccessRevoker, AccessRevocationReason } from '../services/account-service.ts';
import { revokeGrant } from './grant-revocation.ts';
import type { RemovalEvents } from './removal-events.ts';

export interface AccountAccessRevokerDeps {
  readonly models: OidcModelStore;
  readonly removalEvents: RemovalEvents;
}

const idOf = (payload: OidcPayload): string | undefined =>
  typeof payload['jti'] === 'string' ? payload['jti'] : undefined;

/**
 * Takes away everything an account holds when an administrator disables it or sets its password.
 * `findAccount` already refuses a disabled account (account-claims.ts), which stops refresh and
 * userinfo, but not what is already out: opaque access tokens would still introspect active
 * until they expire, JWT access tokens stay valid at resource servers until `exp`, and the
 * sessions would come back if the account were enabled again. So:
 *
 * - every Session of the account is destroyed, recording `tessera.session.ended` in the same
 *   write: its browser must sign in again;
 * - every Grant of the account is revoked as oidc-provider's lib/helpers/revoke.js does (its
 *   refresh tokens, opaque access tokens, codes, and the records of its JWT access tokens, then
 *   the grant), each removal recording `tessera.token.revoked` — JWTs by `jti` — and
 *   `tessera.grant.revoked` in its own write (RemovalOptions.eventsFor).
 *
 * Grants and sessions are found through the store's account-id index, one query per model.
 * The caller changes the account first, so nothing new is issued to it meanwhile (oidc-provider
 * calls findAccount before it issues from a code or a refresh token); running this again
 * completes a revocation a failure cut short.
 */
export function createAccountAccessRevoker(deps: AccountAccessRevokerDeps): AccountAccessRevoker {
  const { models, removalEvents } = deps;
  return {
    async revokeAccountAccess(accountId: string, reason: AccessRevocationReason) {
      const [sessions, grants] = await Promise.all([
        models.findByAccountId('Session', accountId),
        models.findByAccountId('Grant', accountId),
      ]);
      for (const session of sessions) {
        const id = idOf(session);
        if (!id) continue;
        await models.destroy('Session', id, {
          eventsFor: (removed) => removalEvents.sessionsEnded(removed, undefined, reason),
        });
      }
      for (const grant of grants) {
        const id = idOf(grant);
        if (id) await revokeGrant(models, removalEvents, id, reason);
      }
      return { sessions: sessions.length, grants: grants.length };
    },
  };
}
