import { errors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider';

import type { ClientStore } from '../ports/clients.ts';
import type { OidcModelName, OidcModelStore, OidcPayload } from '../ports/oidc-models.ts';
import { toProviderClientMetadata } from './client-metadata.ts';
import { withStoreErrors } from './protocol-errors.ts';

export interface OidcAdapterDeps {
  readonly models: OidcModelStore;
  readonly clients: ClientStore;
}

/**
 * Models holding tokens of a grant, as oidc-provider's revoke helper (lib/helpers/revoke.js)
 * lists them; a lost consume race revokes them the same way a sequential replay does.
 */
const GRANT_MODELS: readonly OidcModelName[] = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
];

const asProvider = (payload: OidcPayload | undefined) => payload as AdapterPayload | undefined;

/**
 * The one oidc-provider adapter for every model (oidc-provider example/my_adapter.js), keyed by
 * model name. `Client` reads the clients the admin API manages; every other model goes to the
 * OidcModelStore.
 */
export function createOidcAdapterFactory(deps: OidcAdapterDeps): AdapterFactory {
  const clientAdapter: Adapter = {
    async find(id) {
      const client = await withStoreErrors(() => deps.clients.get(id));
      return client ? toProviderClientMetadata(client) : undefined;
    },
    upsert: readOnlyClients,
    findByUid: readOnlyClients,
    findByUserCode: readOnlyClients,
    consume: readOnlyClients,
    destroy: readOnlyClients,
    revokeByGrantId: readOnlyClients,
  };

  return (name) => {
    if (name === 'Client') return clientAdapter;
    const model = name as OidcModelName;
    const { models } = deps;
    return {
      upsert: (id, payload, expiresIn) =>
        withStoreErrors(() => models.upsert(model, id, payload as OidcPayload, expiresIn)),
      find: async (id) => asProvider(await withStoreErrors(() => models.find(model, id))),
      findByUid: async (uid) =>
        asProvider(await withStoreErrors(() => models.findByUid(model, uid))),
      findByUserCode: async (userCode) =>
        asProvider(await withStoreErrors(() => models.findByUserCode(model, userCode))),
      async consume(id) {
        // oidc-provider checks `consumed` and then calls consume(); between the two a concurrent
        // request can consume the same code. The store's atomic consume decides the winner, and
        // the loser is treated as the replay it is (RFC 6749 section 4.1.2, RFC 9700 4.14.2).
        const consumed = await withStoreErrors(() => models.consume(model, id));
        if (consumed) return;
        const payload = await withStoreErrors(() => models.find(model, id));
        if (payload?.grantId) await revokeGrant(models, payload.grantId);
        throw new errors.InvalidGrant(
          `${model === 'RefreshToken' ? 'refresh token' : 'grant'} already used`,
        );
      },
      destroy: async (id) => {
        await withStoreErrors(() => models.destroy(model, id));
      },
      revokeByGrantId: async (grantId) => {
        await withStoreErrors(() => models.revokeByGrantId(model, grantId));
      },
    };
  };
}

async function revokeGrant(models: OidcModelStore, grantId: string): Promise<void> {
  await withStoreErrors(async () => {
    for (const model of GRANT_MODELS) await models.revokeByGrantId(model, grantId);
    await models.destroy('Grant', grantId);
  });
}

function readOnlyClients(): never {
  throw new Error('clients are managed through the admin API, not oidc-provider');
}
