import type Provider from 'oidc-provider';

interface ClientModel {
  find(id: unknown): Promise<unknown>;
  readonly adapter: { find(id: string): Promise<object | undefined | void> };
}

/**
 * One oidc-provider Client instance per client metadata object, reused for as long as the
 * catalog cache serves that object. Install it only with the catalog cache on
 * (TESSERA_CLIENT_CACHE_TTL > 0): without it every read makes a new object and nothing repeats.
 *
 * oidc-provider's `Client.find` (lib/models/client.js) serialises and SHA-256-hashes the
 * metadata its adapter returns on every call, to find the instance it built from equal
 * metadata: about a tenth of a client-credentials request's CPU. Tessera's Client adapter
 * (oidc-adapter.ts) returns the same object for as long as the catalog cache holds the same
 * client record, and a new one once the record changes (a write through this replica, a catalog
 * generation move, the TTL), so object identity already says "unchanged": an instance built
 * from an object is reused without the hash, and a new object goes through oidc-provider's own
 * `find`, validation included (one more cached read, once per object).
 *
 * An unknown client id answers undefined without asking twice: Tessera does not enable
 * oidc-provider's client id metadata documents, the only other source `find` would try.
 */
export function installClientInstanceReuse(provider: Provider): void {
  const model = provider.Client as unknown as ClientModel;
  const find = model.find.bind(model);
  const built = new WeakMap<object, unknown>();
  model.find = async (id: unknown) => {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    const metadata = await model.adapter.find(id);
    if (!metadata) return undefined;
    const reused = built.get(metadata);
    if (reused) return reused;
    const client = await find(id);
    if (client) built.set(metadata, client);
    return client;
  };
}
