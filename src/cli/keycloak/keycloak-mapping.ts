import { passwordOf } from './keycloak-credentials.ts';
import { BUILT_IN_CLIENTS, mapClient, type ClientPlan } from './keycloak-clients.ts';
import type { KeycloakRealm, KeycloakUser } from './keycloak-realm.ts';

/** Client scopes every realm has; any other is one of the realm's own API permissions. */
const BUILT_IN_SCOPES = new Set([
  'acr',
  'address',
  'basic',
  'email',
  'microprofile-jwt',
  'offline_access',
  'organization',
  'phone',
  'profile',
  'role_list',
  'roles',
  'saml_organization',
  'service_account',
  'web-origins',
]);

/** Roles every realm has. */
const BUILT_IN_ROLES = new Set(['offline_access', 'uma_authorization']);

export interface ResourceServerPlan {
  readonly audience: string;
  readonly body: { audience: string; name: string; scopes: string[] };
}

export interface UserPlan {
  readonly username: string;
  /** The admin API's POST /users body (src/admin/user-routes.ts). */
  readonly body: Record<string, unknown>;
}

/** What the import will create, in order, and what it leaves behind (one line each). */
export interface ImportPlan {
  readonly resourceServers: readonly ResourceServerPlan[];
  readonly clients: readonly ClientPlan[];
  readonly users: readonly UserPlan[];
  readonly notCarried: readonly string[];
}

/** The audience an OIDC audience mapper of a client scope adds to its access tokens. */
function audienceOf(scope: NonNullable<KeycloakRealm['clientScopes']>[number]) {
  const mapper = scope.protocolMappers?.find((m) => m.protocolMapper === 'oidc-audience-mapper');
  const audience = mapper?.config?.['included.custom.audience'];
  return audience !== undefined && audience !== '' ? audience : undefined;
}

function planResourceServers(realm: KeycloakRealm, defaultAudience: string) {
  const byAudience = new Map<string, string[]>();
  for (const scope of realm.clientScopes ?? []) {
    if (BUILT_IN_SCOPES.has(scope.name)) continue;
    if ((scope.protocol ?? 'openid-connect') !== 'openid-connect') continue;
    const audience = audienceOf(scope) ?? defaultAudience;
    byAudience.set(audience, [...(byAudience.get(audience) ?? []), scope.name]);
  }
  // Sorted: Keycloak writes client scopes in no stable order, and the report should not change
  // between two exports of the same realm.
  return [...byAudience]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([audience, scopes]) => ({
      audience,
      body: { audience, name: audience, scopes: scopes.sort() },
    }));
}

function planUser(user: KeycloakUser, defaultRole: string, notCarried: string[]): UserPlan {
  const who = `user ${user.username}`;
  const roles = [
    ...(user.realmRoles ?? []).filter((role) => role !== defaultRole && !BUILT_IN_ROLES.has(role)),
    ...Object.entries(user.clientRoles ?? {}).flatMap(([clientId, names]) =>
      BUILT_IN_CLIENTS.has(clientId) ? [] : names.map((name) => `${clientId}/${name}`),
    ),
  ];
  if (roles.length > 0) notCarried.push(`${who}: roles ${roles.join(', ')}`);
  if (user.groups?.length) {
    notCarried.push(`${who}: groups ${user.groups.join(', ')}`);
  }
  const password = passwordOf(user.credentials ?? []);
  if (password.kind === 'none') {
    notCarried.push(`${who}: ${password.reason}; imported without a usable password`);
  }
  for (const credential of user.credentials ?? []) {
    if (credential.type !== 'password') {
      notCarried.push(`${who}: ${credential.type} credential`);
    }
  }
  if (user.requiredActions?.length) {
    notCarried.push(`${who}: required actions ${user.requiredActions.join(', ')}`);
  }
  for (const identity of user.federatedIdentities ?? []) {
    notCarried.push(`${who}: link to identity provider ${identity.identityProvider}`);
  }
  const name = [user.firstName, user.lastName].filter((part) => part?.trim()).join(' ');
  const body: Record<string, unknown> = {
    username: user.username,
    password_hash: password.kind === 'hash' ? password.body : null,
    ...(user.email ? { email: user.email, email_verified: user.emailVerified === true } : {}),
    ...(user.firstName?.trim() ? { given_name: user.firstName.trim() } : {}),
    ...(user.lastName?.trim() ? { family_name: user.lastName.trim() } : {}),
    ...(name ? { name } : {}),
    ...(user.enabled === false ? { disabled: true } : {}),
  };
  return { username: user.username, body };
}

/**
 * The import of one realm (docs/keycloak-import.md): its client scopes become resource
 * servers' scopes, grouped by the audience their audience mapper names (`defaultAudience` when
 * none), its clients and users follow; roles, groups, identity providers, custom flows, user
 * federation and the rest are reported, one line each.
 */
export function planKeycloakImport(realm: KeycloakRealm, defaultAudience: string): ImportPlan {
  const notCarried: string[] = [];
  const resourceServers = planResourceServers(realm, defaultAudience);
  const customScopes = new Set(resourceServers.flatMap((server) => server.body.scopes));

  const clients: ClientPlan[] = [];
  for (const client of realm.clients ?? []) {
    if (BUILT_IN_CLIENTS.has(client.clientId)) continue;
    const mapped = mapClient(client, customScopes);
    if (mapped.plan) clients.push(mapped.plan);
    notCarried.push(...mapped.notCarried);
  }

  const defaultRole = `default-roles-${realm.realm}`;
  if (realm.users === undefined) {
    // The admin console's partial export, and kc.sh export to a directory, leave users out.
    notCarried.push('users: the file has none (export them with kc.sh export --users same_file)');
  }
  const users: UserPlan[] = [];
  for (const user of realm.users ?? []) {
    // A client's service account is the client itself in Tessera (client_credentials).
    if (user.serviceAccountClientId !== undefined) continue;
    users.push(planUser(user, defaultRole, notCarried));
  }

  for (const role of realm.roles?.realm ?? []) {
    if (role.name === undefined || role.name === defaultRole || BUILT_IN_ROLES.has(role.name)) {
      continue;
    }
    notCarried.push(`realm role ${role.name}`);
  }
  for (const [clientId, roles] of Object.entries(realm.roles?.client ?? {})) {
    if (BUILT_IN_CLIENTS.has(clientId)) continue;
    for (const role of roles) {
      notCarried.push(`client role ${clientId}/${role.name}`);
    }
  }
  for (const group of realm.groups ?? []) {
    notCarried.push(`group ${group.name}`);
  }
  for (const provider of realm.identityProviders ?? []) {
    notCarried.push(`identity provider ${provider.alias}`);
  }
  for (const flow of realm.authenticationFlows ?? []) {
    // Sub-flows come with their top-level flow: one line for the whole.
    if (flow.builtIn === false && flow.topLevel !== false) {
      notCarried.push(`authentication flow ${flow.alias}`);
    }
  }
  const federation = realm.components?.['org.keycloak.storage.UserStorageProvider'] ?? [];
  for (const provider of federation) {
    notCarried.push(`user federation ${provider.name}`);
  }
  if (realm.passwordPolicy) {
    notCarried.push(`password policy ${realm.passwordPolicy} (Tessera applies its own)`);
  }
  return { resourceServers, clients, users, notCarried };
}
