import { stringify } from 'yaml';

import { METADATA_FIELDS } from '../../admin/client-schemas.ts';
import type { ConfigFile } from '../../admin/config-file-schema.ts';
import type { CurrentClient, CurrentResourceServer, CurrentState } from './config-state.ts';

/** Keys as `apply` recorded them, else the object's own id; unique within a section. */
function keyFor(preferred: string | undefined, id: string, taken: Set<string>): string {
  let key = preferred ?? id;
  for (let n = 2; taken.has(key); n += 1) key = `${preferred ?? id}-${n}`;
  taken.add(key);
  return key;
}

function clientEntry(client: CurrentClient): Record<string, unknown> {
  const view = client as unknown as Record<string, unknown>;
  const entry: Record<string, unknown> = { client_id: client.client_id, name: client.name };
  for (const field of METADATA_FIELDS) {
    if (view[field] !== undefined) entry[field] = view[field];
  }
  return entry;
}

function resourceServerEntry(server: CurrentResourceServer): Record<string, unknown> {
  return {
    audience: server.audience,
    name: server.name,
    scopes: server.scopes,
    access_token_format: server.access_token_format,
    access_token_ttl: server.access_token_ttl,
    introspectors: server.introspectors,
    require_dpop: server.require_dpop,
  };
}

/**
 * The current resource servers and clients as a clients-as-code file: every field the admin API
 * can set, no secret. Clients keep their `client_id`, so applying the export changes nothing.
 */
export function exportState(state: CurrentState): ConfigFile {
  const serverKeys = new Set<string>();
  const clientKeys = new Set<string>();
  return {
    resource_servers: Object.fromEntries(
      state.resourceServers.map((server) => [
        keyFor(server.config_key, server.id, serverKeys),
        resourceServerEntry(server),
      ]),
    ) as ConfigFile['resource_servers'],
    clients: Object.fromEntries(
      state.clients.map((client) => [
        keyFor(client.config_key, client.client_id, clientKeys),
        clientEntry(client),
      ]),
    ) as ConfigFile['clients'],
  };
}

/** YAML, with the editor hint pointing at the schema `tessera schema` prints. */
export function renderExport(file: ConfigFile): string {
  return (
    '# Tessera clients as code (docs/clients-as-code.md). Secrets are never exported.\n' +
    '# yaml-language-server: $schema=./tessera.schema.json\n' +
    stringify(file, { lineWidth: 0 })
  );
}
