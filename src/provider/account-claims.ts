import type { Account, ClaimsParameterMember, KoaContextWithOIDC } from 'oidc-provider';

import { AppError } from '../services/app-error.ts';
import type { AccountService, AccountView } from '../services/account-service.ts';

/**
 * Claims per scope (OIDC Core section 5.4), limited to what Tessera knows about a person. `acr`
 * and `amr` ride with `openid` so that every ID token states how the person signed in (OIDC Core
 * section 2): oidc-provider puts a claim into an ID token only when a granted scope or the
 * request names it (lib/helpers/claims.js), and takes their values from the sign-in, not from
 * the account (lib/helpers/grant_common.js, issueIdToken).
 */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub', 'acr', 'amr'],
  profile: [
    'name',
    'given_name',
    'family_name',
    'preferred_username',
    'picture',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
} as const;

type Scope = keyof typeof CLAIMS_BY_SCOPE;

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

/** Every claim the account has a value for; each is released only under its scope. */
function claimsOf(account: AccountView): Record<string, unknown> {
  const optional = {
    name: account.name,
    given_name: account.givenName,
    family_name: account.familyName,
    picture: account.picture,
    zoneinfo: account.zoneinfo,
    locale: account.locale,
    ...(account.email === undefined
      ? {}
      : { email: account.email, email_verified: account.emailVerified }),
  };
  return {
    sub: account.id,
    preferred_username: account.username,
    updated_at: Math.floor(account.updatedAt / 1000),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

/**
 * The claims of the granted scopes only. oidc-provider would also release a claim the `claims`
 * parameter asked for when it is recorded on the grant, whatever the scopes
 * (lib/helpers/claims.js: the request's claims widen the scopes' mask), and the grant records
 * every requested claim (interactions/consent.ts, provider/requested-claims.ts). People consent
 * to scopes, so the scopes alone decide what is released; the claims parameter only chooses
 * where a released claim goes (ID token or userinfo) and which are wanted.
 */
function claimsOfScopes(account: AccountView, scope: string): Record<string, unknown> {
  const granted = new Set(scope.split(' '));
  const released = new Set<string>(
    (Object.keys(CLAIMS_BY_SCOPE) as Scope[])
      .filter((name) => granted.has(name))
      .flatMap((name) => CLAIMS_BY_SCOPE[name]),
  );
  released.add('sub');
  return Object.fromEntries(
    Object.entries(claimsOf(account)).filter(([claim]) => released.has(claim)),
  );
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
      // `scope` is what the grant holds of the token's scopes (lib/actions/userinfo.js,
      // lib/helpers/grant_common.js issueIdToken).
      claims: (
        _use: string,
        scope: string,
        _claims: Record<string, ClaimsParameterMember | null>,
      ) => claimsOfScopes(account, scope) as ReturnType<Account['claims']> & { sub: string },
    };
  };
}
