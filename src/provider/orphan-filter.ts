import type { ClientRecord } from '../ports/clients.ts';
import { isClientBound, type OidcModelName, type OidcPayload } from '../ports/oidc-models.ts';
import type { ResourceServerRecord } from '../ports/resource-servers.ts';

export interface OrphanFilterDeps {
  /** The client with this id, undefined once it is deleted (served from the catalog cache). */
  readonly findClient: (clientId: string) => Promise<ClientRecord | undefined>;
  /** The resource server with this audience now (served from the catalog cache). */
  readonly findResourceServer: (audience: string) => Promise<ResourceServerRecord | undefined>;
}

/**
 * Where a stored token minted for a resource server (RFC 8707) records which one. Only the stored
 * payload has it: oidc-provider builds its models from the fields each one lists
 * (lib/models/payload.js, IN_PAYLOAD), so it never reaches a token, an introspection response or
 * an event.
 */
const RESOURCE_SERVER_ID = 'resourceServerId';

/** The models whose `aud` is a resource server's audience (lib/models/base_token.js). */
const AUDIENCE_BOUND: ReadonlySet<OidcModelName> = new Set(['AccessToken', 'ClientCredentials']);

const audienceOf = (model: OidcModelName, payload: OidcPayload): string | undefined => {
  const aud = payload['aud'];
  return AUDIENCE_BOUND.has(model) && typeof aud === 'string' ? aud : undefined;
};

/** What oidc-provider keeps per client in a Session (lib/models/session.js). */
type Authorizations = Record<string, unknown>;

/**
 * Keeps what a deleted client or resource server left behind from being served, by
 * oidc-provider's adapter (oidc-adapter.ts), whatever the store still holds.
 *
 * A client's deletion removes what it holds in the same store write (ClientStore.delete), but a
 * record can outlive it: a replica still serving the client from its cache may issue one just
 * after, and on a store without transactions a deletion cut short leaves some until it is
 * repeated. oidc-provider cannot serve such a record safely: introspecting a user's token whose
 * client is gone throws a TypeError (lib/actions/introspection.js reads `subjectType` of
 * `Client.find`'s undefined), a 500. So a client-bound record whose client is gone is absent:
 * introspection answers `active: false` and revocation 200 with nothing to do (RFC 7662 section
 * 2.2, RFC 7009 section 2.2), as for any unknown token.
 *
 * A resource server's deletion is enforced here rather than by removing its tokens from the
 * store: tokens are not indexed by audience, and a check on every read also covers the tokens
 * a replica issues from its cache after the deletion. A memory lookup per read (the catalog
 * cache) is the whole cost. Tokens record the id of the resource server they were minted for
 * (`stamp`), so a new resource server created later with the same audience does not revive the
 * old one's tokens. Tokens stored before the id was recorded are compared by time instead: a
 * server created after the token was issued is another one.
 *
 * Sessions name their clients as keys of `authorizations` (with the `sid` and grant of each),
 * which no index can find. Reading a Session drops the entries of clients that are gone, and
 * oidc-provider saves the session it read at the end of every request (lib/shared/session.js),
 * so the stored one follows; a request in flight that writes the old entry back is undone by the
 * next read.
 */
export function createOrphanFilter(deps: OrphanFilterDeps) {
  return {
    /** The payload to store: a token minted for a resource server records that server's id. */
    async stamp(model: OidcModelName, payload: OidcPayload): Promise<OidcPayload> {
      const audience = audienceOf(model, payload);
      if (audience === undefined) return payload;
      const server = await deps.findResourceServer(audience);
      return server ? { ...payload, [RESOURCE_SERVER_ID]: server.id } : payload;
    },

    /** Whether a stored record may be served: false once its client or resource server is gone. */
    async admits(model: OidcModelName, payload: OidcPayload): Promise<boolean> {
      if (!isClientBound(model)) return true;
      const clientId = payload['clientId'];
      if (typeof clientId === 'string' && !(await deps.findClient(clientId))) return false;
      const audience = audienceOf(model, payload);
      if (audience === undefined) return true;
      const server = await deps.findResourceServer(audience);
      if (!server) return false;
      const minted = payload[RESOURCE_SERVER_ID];
      if (typeof minted === 'string') return minted === server.id;
      const iat = payload['iat'];
      return typeof iat === 'number' && server.createdAt <= iat * 1000;
    },

    /** A Session payload without the entries of clients that no longer exist. */
    async withoutDeletedClients(payload: OidcPayload): Promise<OidcPayload> {
      const authorizations = payload['authorizations'] as Authorizations | undefined;
      if (!authorizations || typeof authorizations !== 'object') return payload;
      const entries = Object.entries(authorizations);
      const present = await Promise.all(
        entries.map(async ([clientId]) => (await deps.findClient(clientId)) !== undefined),
      );
      if (present.every(Boolean)) return payload;
      return {
        ...payload,
        authorizations: Object.fromEntries(entries.filter((_, index) => present[index])),
      };
    },
  };
}

export type OrphanFilter = ReturnType<typeof createOrphanFilter>;
