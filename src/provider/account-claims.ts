import type { Account, ClaimsParameterMember, KoaContextWithOIDC } from 'oidc-provider';

import { AppError } from '../services/app-error.ts';
import type { AccountService, AccountView } from '../services/account-service.ts';

/**
 * Claims per scope (OIDC Core section 5.4), limited to what Tessera knows about a person.
 * oidc-provider releases a claim only when one of its scopes was granted.
 */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  profile: ['name', 'preferred_username', 'updated_at'],
  email: ['email', 'email_verified'],
} as const;

/** An account that may still use Tessera: absent and disabled accounts are the same to tokens. */
async function findActiveAccount(
  accounts: AccountService,
  id: string,
): Promise<AccountView | undefined> {
  try {
    const account = await accounts.get(id);
    return account.disabled ? undefined : account;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return undefined;
    throw error;
  }
}

function claimsOf(account: AccountView): Record<string, unknown> {
  return {
    sub: account.id,
    preferred_username: account.username,
    updated_at: Math.floor(account.updatedAt / 1000),
    ...(account.name === undefined ? {} : { name: account.name }),
    ...(account.email === undefined
      ? {}
      : { email: account.email, email_verified: account.emailVerified }),
  };
}

/**
 * oidc-provider's findAccount (docs "Accounts"). Returning undefined for a disabled account makes
 * refresh-token and code redemption fail (lib/helpers/grant_common.js) and sends a browser with
 * a session back to the sign-in page (the `account_unavailable` check in create-provider.ts).
 */
export function createFindAccount(accounts: AccountService) {
  return async (_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
    const account = await findActiveAccount(accounts, sub);
    if (!account) return undefined;
    return {
      accountId: account.id,
      claims: (
        _use: string,
        _scope: string,
        _claims: Record<string, ClaimsParameterMember | null>,
      ) => claimsOf(account) as ReturnType<Account['claims']> & { sub: string },
    };
  };
}
