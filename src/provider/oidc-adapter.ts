import {
  errors,
  type Adapter,
  type AdapterFactory,
  type AdapterPayload,
  type KoaContextWithOIDC,
} from 'oidc-provider';

import type { ClientRecord, ClientStore } from '../ports/clients.ts';
import type { ResourceServerRecord } from '../ports/resource-servers.ts';
import type {
  OidcModelName,
  OidcModelStore,
  OidcPayload,
  RemovalOptions,
} from '../ports/oidc-models.ts';
import { toProviderClientMetadata } from './client-metadata.ts';
import { revocationOptionsFor, revokeGrant } from './grant-revocation.ts';
import { createOrphanFilter } from './orphan-filter.ts';
import { withStoreErrors } from './protocol-errors.ts';
import { revocationReasonOf, type RemovalEvents, type RevocationReason } from './removal-events.ts';
import { belongsToAnotherModel } from './token-kinds.ts';

export interface OidcAdapterDeps {
  readonly models: OidcModelStore;
  readonly clients: ClientStore;
  /** Resource servers by audience (the catalog cache): a deleted one's tokens are not served. */
  readonly findResourceServer: (audience: string) => Promise<ResourceServerRecord | undefined>;
  readonly removalEvents: RemovalEvents;
  /** The request oidc-provider is serving (`Provider.ctx`); undefined outside a request. */
  readonly currentContext: () => KoaContextWithOIDC | undefined;
}

/**
 * A confirmed RP-initiated logout: oidc-provider then destroys the Session
 * (lib/actions/end_session.js). The same route also destroys a session's old id when the person
 * stays signed in (Session#resetIdentifier), which is not an end.
 */
const isLogout = (ctx: KoaContextWithOIDC | undefined) =>
  ctx?.oidc.route === 'end_session_confirm' && Boolean(ctx.oidc.params?.['logout']);

const asProvider = (payload: OidcPayload | undefined) => payload as AdapterPayload | undefined;

/**
 * The one oidc-provider adapter for every model (oidc-provider example/my_adapter.js), keyed by
 * model name. `Client` reads the clients the admin API manages; every other model goes to the
 * OidcModelStore.
 */
export function createOidcAdapterFactory(deps: OidcAdapterDeps): AdapterFactory {
  // The same metadata object for the same cached record: client-instances.ts reuses the
  // Client built from it, and the conversion runs once per record, not per request.
  const metadataOf = new WeakMap<ClientRecord, AdapterPayload>();

  /**
   * The clients a request's token checks found (orphanFilter), by request. A later read of the
   * same client in that request (introspection reads the token's client again,
   * lib/actions/introspection.js) answers the same, so a deletion landing in between cannot turn
   * the check's "present" into an undefined oidc-provider then dereferences.
   */
  const checkedClients = new WeakMap<object, Map<string, ClientRecord>>();
  const readClient = (id: string): Promise<ClientRecord | undefined> => {
    const ctx = deps.currentContext();
    const checked = ctx ? checkedClients.get(ctx)?.get(id) : undefined;
    return checked ? Promise.resolve(checked) : withStoreErrors(() => deps.clients.get(id));
  };
  const orphanFilter = createOrphanFilter({
    async findClient(id) {
      const client = await readClient(id);
      const ctx = deps.currentContext();
      if (client && ctx) {
        const checked = checkedClients.get(ctx) ?? new Map<string, ClientRecord>();
        checkedClients.set(ctx, checked.set(id, client));
      }
      return client;
    },
    findResourceServer: (audience) => withStoreErrors(() => deps.findResourceServer(audience)),
  });

  const clientAdapter: Adapter = {
    async find(id) {
      const client = await readClient(id);
      if (!client) return undefined;
      let metadata = metadataOf.get(client);
      if (!metadata) {
        metadata = toProviderClientMetadata(client);
        metadataOf.set(client, metadata);
      }
      return metadata;
    },
    upsert: readOnlyClients,
    findByUid: readOnlyClients,
    findByUserCode: readOnlyClients,
    consume: readOnlyClients,
    destroy: readOnlyClients,
    revokeByGrantId: readOnlyClients,
  };

  /**
   * Token, grant and session removals record their events in the same write
   * (RemovalOptions.eventsFor), here rather than in a provider event listener, so a crash cannot
   * separate the two.
   */
  const removalEvents = (
    model: OidcModelName,
    reason: RevocationReason = revocationReasonOf(deps.currentContext()),
  ): RemovalOptions | undefined => {
    if (model === 'Session') {
      const ctx = deps.currentContext();
      if (!isLogout(ctx)) return undefined;
      return {
        eventsFor: (removed) =>
          deps.removalEvents.sessionsEnded(removed, ctx?.oidc.client?.clientId),
      };
    }
    return revocationOptionsFor(deps.removalEvents, model, reason);
  };

  const revokeGrantOf = (grantId: string, reason: RevocationReason): Promise<void> =>
    withStoreErrors(() => revokeGrant(deps.models, deps.removalEvents, grantId, reason));

  /** What oidc-provider may be given of a stored record (orphan-filter.ts). */
  const served = async (
    model: OidcModelName,
    payload: OidcPayload | undefined,
  ): Promise<AdapterPayload | undefined> => {
    if (!payload) return undefined;
    if (model === 'Session') return asProvider(await orphanFilter.withoutDeletedClients(payload));
    return (await orphanFilter.admits(model, payload)) ? asProvider(payload) : undefined;
  };

  return (name) => {
    if (name === 'Client') return clientAdapter;
    const model = name as OidcModelName;
    const { models } = deps;
    return {
      async upsert(id, payload, expiresIn) {
        const stored = await orphanFilter.stamp(model, payload as OidcPayload);
        await withStoreErrors(() => models.upsert(model, id, stored, expiresIn));
      },
      find: async (id) =>
        // A value tagged for another token model cannot be here: no store round trip.
        belongsToAnotherModel(model, id)
          ? undefined
          : served(model, await withStoreErrors(() => models.find(model, id))),
      findByUid: async (uid) =>
        served(model, await withStoreErrors(() => models.findByUid(model, uid))),
      findByUserCode: async (userCode) =>
        served(model, await withStoreErrors(() => models.findByUserCode(model, userCode))),
      async consume(id) {
        // oidc-provider checks `consumed` and then calls consume(); between the two a concurrent
        // request can consume the same code. The store's atomic consume decides the winner, and
        // the loser is treated as the replay it is (RFC 6749 section 4.1.2, RFC 9700 4.14.2).
        const consumed = await withStoreErrors(() => models.consume(model, id));
        if (consumed) return;
        const payload = await withStoreErrors(() => models.find(model, id));
        if (payload?.grantId) {
          await revokeGrantOf(
            payload.grantId,
            model === 'RefreshToken' ? 'refresh_token_reuse' : 'code_reuse',
          );
        }
        throw new errors.InvalidGrant(
          `${model === 'RefreshToken' ? 'refresh token' : 'grant'} already used`,
        );
      },
      destroy: async (id) => {
        await withStoreErrors(() => models.destroy(model, id, removalEvents(model)));
      },
      revokeByGrantId: async (grantId) => {
        await withStoreErrors(() => models.revokeByGrantId(model, grantId, removalEvents(model)));
      },
    };
  };
}

function readOnlyClients(): never {
  throw new Error('clients are managed through the admin API, not oidc-provider');
}
