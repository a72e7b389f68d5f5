import type { ClientStore } from '../ports/clients.ts';
import type {
  ResourceServerIntrospector,
  ResourceServerRecord,
} from '../ports/resource-servers.ts';
import { AppError } from './app-error.ts';

/** The most clients one resource server may name (the admin API's bound too). */
export const MAX_INTROSPECTORS = 100;

const refuse = (message: string) =>
  new AppError('validation_failed', `introspectors: ${message}`, { field: 'introspectors' });

/**
 * The clients a resource server names as its introspectors (RFC 7662 section 2.1: the
 * protected resources allowed to ask about its tokens).
 *
 * Each is bound to the client as it existed when it was named, by its `createdAt`. A client
 * deleted afterwards is no longer listed (`withoutDeparted`), and a client later created under
 * the same id is a different client: its `createdAt` differs, so the binding grants it nothing
 * (src/provider/introspection-entitlement.ts) until an administrator names it again. Client
 * deletion itself does not touch resource servers.
 */
export function createIntrospectorRules(clients: ClientStore) {
  return {
    /**
     * Binds the named client ids (duplicates dropped, order kept) to the clients now stored
     * under them. Each must exist and be confidential: a public client cannot authenticate, so
     * it may only ever introspect its own tokens (RFC 7662 section 4).
     */
    async bind(clientIds: readonly string[]): Promise<ResourceServerIntrospector[]> {
      const unique = [...new Set(clientIds)];
      if (unique.length > MAX_INTROSPECTORS) {
        throw refuse(`at most ${MAX_INTROSPECTORS} clients`);
      }
      const bound: ResourceServerIntrospector[] = [];
      // One at a time: the first unknown id is the one the error names, whatever the timing.
      for (const clientId of unique) {
        const client = await clients.get(clientId);
        if (!client) throw refuse(`client ${clientId} does not exist`);
        if (client.metadata.token_endpoint_auth_method === 'none') {
          throw refuse(
            `client ${clientId} is public (token_endpoint_auth_method none) and cannot introspect tokens it was not issued`,
          );
        }
        bound.push({ clientId, clientCreatedAt: client.createdAt });
      }
      return bound;
    },

    /** The record without the introspectors whose client was deleted since it was named. */
    async withoutDeparted(record: ResourceServerRecord): Promise<ResourceServerRecord> {
      if (record.introspectors.length === 0) return record;
      const present: ResourceServerIntrospector[] = [];
      for (const introspector of record.introspectors) {
        const client = await clients.get(introspector.clientId);
        if (client?.createdAt === introspector.clientCreatedAt) present.push(introspector);
      }
      return present.length === record.introspectors.length
        ? record
        : { ...record, introspectors: present };
    },
  };
}
