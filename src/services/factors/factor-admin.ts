import type { AccountAccessRevoker, AccountService } from '../account-service.ts';
import type { FactorService, FactorView } from './factor-service.ts';

export interface FactorAdminDeps {
  readonly accounts: Pick<AccountService, 'get'>;
  readonly factors: FactorService;
  readonly accessRevoker: AccountAccessRevoker;
}

/**
 * An administrator's view of an account's second factors, and the reset for a person who lost
 * them all. Both answer `not_found` (AppError) for an account that does not exist.
 */
export function createFactorAdmin(deps: FactorAdminDeps) {
  return {
    async list(accountId: string): Promise<FactorView[]> {
      await deps.accounts.get(accountId);
      return deps.factors.list(accountId);
    },

    /**
     * Removes every factor of the account, then ends its sessions and revokes its grants, as a
     * password change does: whoever held a session through a factor now gone must sign in again.
     */
    async reset(accountId: string): Promise<{ removed: number; sessions: number }> {
      await deps.accounts.get(accountId);
      const removed = await deps.factors.reset(accountId);
      const { sessions } = await deps.accessRevoker.revokeAccountAccess(accountId, 'factors_reset');
      return { removed, sessions };
    },
  };
}

export type FactorAdmin = ReturnType<typeof createFactorAdmin>;
