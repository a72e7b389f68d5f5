import type { KeycloakClient } from './keycloak-realm.ts';

/** Clients every Keycloak realm has for itself: nothing to carry over. */
export const BUILT_IN_CLIENTS = new Set([
  'account',
  'account-console',
  'admin-cli',
  'broker',
  'realm-management',
  'security-admin-console',
]);

/** Keycloak client scopes whose job Tessera does by itself, or that only carry roles: dropped. */
const QUIET_SCOPES = new Set([
  'acr',
  'basic',
  'web-origins',
  'roles',
  'role_list',
  'service_account',
  'organization',
  'saml_organization',
]);
/** Scopes Tessera serves itself (src/provider/scopes.ts). */
const STATIC_SCOPES = new Set(['profile', 'email', 'offline_access']);

export interface ClientPlan {
  readonly clientId: string;
  /** The admin API's POST /clients body (src/admin/client-schemas.ts). */
  readonly body: Record<string, unknown>;
}

/** A client as Tessera will hold it, or why it cannot be; and what of it is left behind. */
export interface ClientMapping {
  readonly plan: ClientPlan | undefined;
  readonly notCarried: readonly string[];
}

const splitList = (value: string | undefined) =>
  (value ?? '').split('##').filter((entry) => entry !== '');

/**
 * Keycloak client → Tessera client (docs/keycloak-import.md "What is carried over"): grant
 * types from the flows enabled, the authentication method from publicClient and
 * clientAuthenticatorType, the exact redirect URIs (Keycloak's wildcards have no equivalent:
 * RFC 9700 section 2.1 wants exact string matching), and the scopes from the default and
 * optional client scopes.
 */
export function mapClient(
  client: KeycloakClient,
  customScopes: ReadonlySet<string>,
): ClientMapping {
  const id = client.clientId;
  const lines: string[] = [];
  const skip = (why: string): ClientMapping => ({
    plan: undefined,
    notCarried: [`client ${id}: ${why}; client not imported`],
  });
  if ((client.protocol ?? 'openid-connect') !== 'openid-connect') {
    return skip(`${client.protocol} clients are not supported`);
  }
  if (client.bearerOnly) return skip('bearer-only clients have no equivalent');
  if (client.enabled === false) return skip('disabled in Keycloak');
  const attributes = client.attributes ?? {};

  const grants: string[] = [];
  if (client.standardFlowEnabled !== false) {
    grants.push('authorization_code');
    if (attributes['use.refresh.tokens'] !== 'false') grants.push('refresh_token');
  }
  if (client.serviceAccountsEnabled) grants.push('client_credentials');
  if (client.implicitFlowEnabled) lines.push(`client ${id}: implicit flow`);
  if (client.directAccessGrantsEnabled) {
    lines.push(`client ${id}: direct access grants (password grant)`);
  }
  if (attributes['oauth2.device.authorization.grant.enabled'] === 'true') {
    lines.push(`client ${id}: device authorization grant`);
  }
  if (client.authorizationServicesEnabled) {
    lines.push(`client ${id}: authorization services (policies, permissions)`);
  }
  if (grants.length === 0)
    return {
      plan: undefined,
      notCarried: [...lines, ...skip('no grant Tessera supports').notCarried],
    };

  const body: Record<string, unknown> = {
    client_id: id,
    name: client.name?.trim() || id,
    grant_types: grants,
  };
  const authenticator = client.clientAuthenticatorType ?? 'client-secret';
  if (client.publicClient) {
    body.token_endpoint_auth_method = 'none';
  } else if (authenticator === 'client-secret' || authenticator === 'client-secret-jwt') {
    body.token_endpoint_auth_method = 'client_secret_basic';
    // An export from the admin console masks secrets ("**********"): Tessera then makes a
    // new one, which the import prints once (import-command.ts).
    if (client.secret !== undefined && !/^\*+$/.test(client.secret)) {
      body.client_secret = client.secret;
    } else {
      lines.push(`client ${id}: its secret (not in the export; a new one is made)`);
    }
    if (authenticator === 'client-secret-jwt') {
      lines.push(`client ${id}: client-secret-jwt authentication becomes client_secret_basic`);
    }
  } else if (authenticator === 'client-jwt' && attributes['use.jwks.url'] === 'true') {
    body.token_endpoint_auth_method = 'private_key_jwt';
    body.jwks_uri = attributes['jwks.url'];
  } else {
    return {
      plan: undefined,
      notCarried: [
        ...lines,
        ...skip(`${authenticator} authentication has no equivalent`).notCarried,
      ],
    };
  }

  if (grants.includes('authorization_code')) {
    const exact = (uris: readonly string[], what: string) =>
      uris.filter((uri) => {
        const usable = !uri.includes('*') && URL.canParse(uri);
        if (!usable) lines.push(`client ${id}: ${what} ${uri} (not an exact absolute URI)`);
        return usable;
      });
    const redirects = exact(client.redirectUris ?? [], 'redirect URI');
    body.redirect_uris = redirects;
    const logout = splitList(attributes['post.logout.redirect.uris']).flatMap((uri) =>
      uri === '+' ? redirects : [uri],
    );
    if (logout.length > 0)
      body.post_logout_redirect_uris = exact(logout, 'post-logout redirect URI');
  }

  const scopes = new Set<string>(grants.includes('authorization_code') ? ['openid'] : []);
  for (const scope of [
    ...(client.defaultClientScopes ?? []),
    ...(client.optionalClientScopes ?? []),
  ]) {
    if (STATIC_SCOPES.has(scope) || customScopes.has(scope)) scopes.add(scope);
    else if (!QUIET_SCOPES.has(scope)) {
      lines.push(`client ${id}: client scope ${scope}`);
    }
  }
  if (scopes.size > 0) body.scope = [...scopes].join(' ');
  return { plan: { clientId: id, body }, notCarried: lines };
}
