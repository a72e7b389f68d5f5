import { isDeepStrictEqual } from 'node:util';

import { METADATA_FIELDS } from '../../admin/client-schemas.ts';
import type {
  ClientEntry,
  ConfigFile,
  ResourceServerEntry,
} from '../../admin/config-file-schema.ts';
import { CliError } from '../cli-error.ts';
import type { CurrentClient, CurrentResourceServer, CurrentState } from './config-state.ts';

export type Section = 'clients' | 'resource_servers';

/** One field a change sets: from what (undefined: absent) to what (undefined: removed). */
export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

interface ChangeBase {
  readonly section: Section;
  /** The entry's key in the file, or (for a deletion) the object's `config_key`. */
  readonly key: string;
  readonly fields: readonly FieldChange[];
}

export type Change =
  | (ChangeBase & { readonly action: 'create'; readonly entry: ClientEntry | ResourceServerEntry })
  | (ChangeBase & {
      readonly action: 'update';
      readonly id: string;
      /** The version planned against: sent as If-Match. */
      readonly version: number;
      /** The JSON merge patch (RFC 7396) that makes the object what the file says. */
      readonly patch: Readonly<Record<string, unknown>>;
    })
  | (ChangeBase & { readonly action: 'delete'; readonly id: string; readonly version: number });

export interface Plan {
  /** In the order `apply` makes them: clients first (resource servers may name them as introspectors), deletions last. */
  readonly changes: readonly Change[];
  /** Objects `apply` created that the file no longer names, kept because --prune was not given. */
  readonly unpruned: readonly { section: Section; key: string; id: string }[];
}

/**
 * What a client looks like once Tessera has filled in its defaults (normaliseClientMetadata in
 * src/services/client-rules.ts): the file may leave them out and still match.
 */
export function desiredClient(entry: ClientEntry): Record<string, unknown> {
  // The id matches the client; the secret is for its creation only.
  const fields: Partial<ClientEntry> = { ...entry };
  delete fields.client_id;
  delete fields.secret_from_env;
  const grantTypes = fields.grant_types ?? ['client_credentials'];
  return {
    ...fields,
    grant_types: grantTypes,
    token_endpoint_auth_method: fields.token_endpoint_auth_method ?? 'client_secret_basic',
    response_types:
      fields.response_types ?? (grantTypes.includes('authorization_code') ? ['code'] : []),
  };
}

/** The same for a resource server (resource-server-service.ts create). */
function desiredResourceServer(
  entry: ResourceServerEntry,
  current: CurrentResourceServer | undefined,
): Record<string, unknown> {
  // The service keeps each scope and introspector once (checkScopes, introspectors.bind), in
  // the order first named: so does the plan, or a repeated one would show a change forever.
  return {
    name: entry.name ?? entry.audience,
    scopes: entry.scopes && [...new Set(entry.scopes)],
    access_token_format: entry.access_token_format ?? 'jwt',
    // Its default is the server's TESSERA_ACCESS_TOKEN_TTL: left out, it is left alone.
    access_token_ttl: entry.access_token_ttl ?? current?.access_token_ttl,
    introspectors: [...new Set(entry.introspectors ?? [])],
    require_dpop: entry.require_dpop ?? false,
  };
}

const CLIENT_FIELDS = ['name', ...METADATA_FIELDS] as const;
const RESOURCE_SERVER_FIELDS = [
  'name',
  'scopes',
  'access_token_format',
  'access_token_ttl',
  'introspectors',
  'require_dpop',
] as const;

function diff(
  fields: readonly string[],
  current: Readonly<Record<string, unknown>>,
  desired: Readonly<Record<string, unknown>>,
): { changes: FieldChange[]; patch: Record<string, unknown> } {
  const changes: FieldChange[] = [];
  const patch: Record<string, unknown> = {};
  for (const field of fields) {
    if (isDeepStrictEqual(current[field], desired[field])) continue;
    changes.push({ field, from: current[field], to: desired[field] });
    patch[field] = desired[field] ?? null;
  }
  return { changes, patch };
}

/** Every field a new object gets from the file, for the plan's display. */
const creation = (entry: Readonly<Record<string, unknown>>): FieldChange[] =>
  Object.entries(entry)
    .filter(([, value]) => value !== undefined)
    .map(([field, to]) => ({ field, from: undefined, to }));

/**
 * The changes that make Tessera hold what the file says. Clients are matched by `client_id`
 * when the file gives one (export writes it), else by the `config_key` `apply` recorded when it
 * created them; resource servers by audience (it never changes). With `prune`, objects carrying a
 * `config_key` that no entry matched are deleted; objects made by hand never are.
 */
export function planChanges(
  path: string,
  file: ConfigFile,
  current: CurrentState,
  options: { prune: boolean },
): Plan {
  const changes: Change[] = [];
  const matchedClients = new Map<string, string>();
  const matchedServers = new Set<string>();

  for (const [key, entry] of Object.entries(file.clients ?? {})) {
    const existing: CurrentClient | undefined =
      entry.client_id === undefined
        ? current.clients.find((client) => client.config_key === key)
        : current.clients.find((client) => client.client_id === entry.client_id);
    if (!existing) {
      changes.push({ section: 'clients', key, action: 'create', entry, fields: creation(entry) });
      continue;
    }
    const earlier = matchedClients.get(existing.client_id);
    if (earlier) {
      throw new CliError(
        `${path}: clients.${key}: client_id: client ${existing.client_id} is also clients.${earlier}'s`,
      );
    }
    matchedClients.set(existing.client_id, key);
    const { changes: fields, patch } = diff(CLIENT_FIELDS, existing, desiredClient(entry));
    if (fields.length > 0) {
      changes.push({
        section: 'clients',
        key,
        action: 'update',
        id: existing.client_id,
        version: existing.version,
        patch,
        fields,
      });
    }
  }

  for (const [key, entry] of Object.entries(file.resource_servers ?? {})) {
    const existing = current.resourceServers.find((server) => server.audience === entry.audience);
    if (!existing) {
      changes.push({
        section: 'resource_servers',
        key,
        action: 'create',
        entry,
        fields: creation(entry),
      });
      continue;
    }
    matchedServers.add(existing.id);
    const desired = desiredResourceServer(entry, existing);
    const { changes: fields, patch } = diff(RESOURCE_SERVER_FIELDS, existing, desired);
    if (fields.length > 0) {
      changes.push({
        section: 'resource_servers',
        key,
        action: 'update',
        id: existing.id,
        version: existing.version,
        patch,
        fields,
      });
    }
  }

  // Made by apply, named no longer: resource servers go first, so none still names a client.
  const leftovers = [
    ...current.resourceServers
      .filter((server) => server.config_key !== undefined && !matchedServers.has(server.id))
      .map((server) => ({
        section: 'resource_servers' as const,
        key: server.config_key!,
        id: server.id,
        version: server.version,
      })),
    ...current.clients
      .filter((client) => client.config_key !== undefined && !matchedClients.has(client.client_id))
      .map((client) => ({
        section: 'clients' as const,
        key: client.config_key!,
        id: client.client_id,
        version: client.version,
      })),
  ];
  if (!options.prune) {
    return {
      changes,
      unpruned: leftovers.map(({ section, key, id }) => ({ section, key, id })),
    };
  }
  for (const leftover of leftovers) changes.push({ ...leftover, action: 'delete', fields: [] });
  return { changes, unpruned: [] };
}
