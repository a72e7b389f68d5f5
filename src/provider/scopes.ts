/** The scope an access token needs for the admin API (docs/admin-api-and-cli.md#admin-api). */
export const ADMIN_SCOPE = 'tessera:admin';

/**
 * Scopes oidc-provider knows statically (its `scopes` configuration). Resource-server scopes are
 * registered at runtime and reach oidc-provider through resource indicators instead.
 */
export const STATIC_SCOPES: readonly string[] = [
  'openid',
  'offline_access',
  'profile',
  'email',
  ADMIN_SCOPE,
];

const STATIC_SCOPE_SET: ReadonlySet<string> = new Set(STATIC_SCOPES);

export const isStaticScope = (scope: string): boolean => STATIC_SCOPE_SET.has(scope);

export const splitScope = (scope: unknown): string[] =>
  typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
