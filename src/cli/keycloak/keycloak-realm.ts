import { z } from 'zod';

import { CliError } from '../cli-error.ts';

/**
 * The parts of a Keycloak realm export (`kc.sh export --realm … --file …`, the
 * RealmRepresentation JSON) that the import reads. Everything else is allowed and ignored, or
 * reported as not carried over (keycloak-mapping.ts). Lengths are bounded so that a hostile
 * file cannot make the CLI hold more than it needs.
 */
const text = z.string().max(4000);
const texts = z.array(text).max(1000);
const stringMap = z.record(z.string(), z.string().max(10_000));

const protocolMapper = z.looseObject({
  name: text.optional(),
  protocolMapper: text.optional(),
  config: stringMap.optional(),
});

export const keycloakClientSchema = z.looseObject({
  clientId: z.string().min(1).max(255),
  name: text.optional(),
  enabled: z.boolean().optional(),
  protocol: text.optional(),
  publicClient: z.boolean().optional(),
  bearerOnly: z.boolean().optional(),
  secret: z.string().max(1000).optional(),
  clientAuthenticatorType: text.optional(),
  redirectUris: texts.optional(),
  standardFlowEnabled: z.boolean().optional(),
  implicitFlowEnabled: z.boolean().optional(),
  directAccessGrantsEnabled: z.boolean().optional(),
  serviceAccountsEnabled: z.boolean().optional(),
  authorizationServicesEnabled: z.boolean().optional(),
  attributes: stringMap.optional(),
  defaultClientScopes: texts.optional(),
  optionalClientScopes: texts.optional(),
  protocolMappers: z.array(protocolMapper).max(1000).optional(),
});

export const keycloakClientScopeSchema = z.looseObject({
  name: z.string().min(1).max(255),
  protocol: text.optional(),
  protocolMappers: z.array(protocolMapper).max(1000).optional(),
});

/** A stored credential: `secretData` and `credentialData` are JSON inside strings. */
export const keycloakCredentialSchema = z.looseObject({
  type: text,
  secretData: z.string().max(10_000).optional(),
  credentialData: z.string().max(10_000).optional(),
});

export const keycloakUserSchema = z.looseObject({
  username: z.string().min(1).max(255),
  email: text.optional(),
  emailVerified: z.boolean().optional(),
  firstName: text.optional(),
  lastName: text.optional(),
  enabled: z.boolean().optional(),
  serviceAccountClientId: text.optional(),
  credentials: z.array(keycloakCredentialSchema).max(100).optional(),
  requiredActions: texts.optional(),
  realmRoles: texts.optional(),
  clientRoles: z.record(z.string(), texts).optional(),
  groups: texts.optional(),
  federatedIdentities: z.array(z.looseObject({ identityProvider: text.optional() })).optional(),
});

const named = z.looseObject({ name: text.optional(), alias: text.optional() });

export const keycloakRealmSchema = z.looseObject({
  realm: z.string().min(1).max(255),
  clients: z.array(keycloakClientSchema).max(10_000).optional(),
  clientScopes: z.array(keycloakClientScopeSchema).max(10_000).optional(),
  users: z.array(keycloakUserSchema).max(1_000_000).optional(),
  roles: z
    .looseObject({
      realm: z.array(named).optional(),
      client: z.record(z.string(), z.array(named)).optional(),
    })
    .optional(),
  groups: z.array(named).optional(),
  identityProviders: z.array(named).optional(),
  authenticationFlows: z
    .array(
      z.looseObject({
        alias: text.optional(),
        builtIn: z.boolean().optional(),
        topLevel: z.boolean().optional(),
      }),
    )
    .optional(),
  passwordPolicy: text.optional(),
  components: z.record(z.string(), z.array(named)).optional(),
});

export type KeycloakRealm = z.output<typeof keycloakRealmSchema>;
export type KeycloakClient = z.output<typeof keycloakClientSchema>;
export type KeycloakUser = z.output<typeof keycloakUserSchema>;
export type KeycloakCredential = z.output<typeof keycloakCredentialSchema>;

/** A path into the export the way a person finds it: `clients[2] (orders-web).redirectUris`. */
function describePath(realm: unknown, path: readonly PropertyKey[]): string {
  let node: unknown = realm;
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
    node = (node as Record<PropertyKey, unknown> | undefined)?.[key];
    if (typeof key === 'number' && node && typeof node === 'object') {
      const label =
        (node as { clientId?: unknown }).clientId ??
        (node as { username?: unknown }).username ??
        (node as { name?: unknown }).name;
      if (typeof label === 'string') out += ` (${label})`;
    }
  }
  return out || 'the top level';
}

/**
 * Parses the text of a realm export; a CliError naming the file and the object otherwise (never
 * a stack trace).
 */
export function parseKeycloakRealm(file: string, content: string): KeycloakRealm {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    throw new CliError(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = keycloakRealmSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  throw new CliError(
    `${file}: not a Keycloak realm export: ${describePath(json, issue.path)}: ${issue.message}`,
  );
}
