import type { ClientRecord, ClientStore } from '../ports/clients.ts';
import type { ResourceServerRecord, ResourceServerStore } from '../ports/resource-servers.ts';

export interface CatalogCacheOptions {
  /** How long an entry is served without asking the store; 0 turns the cache off. */
  readonly ttlMs: number;
  readonly clock: () => number;
  /** Entries kept per kind; the oldest go first beyond it. */
  readonly maxEntries?: number;
}

/**
 * Clients and resource servers as the token endpoint reads them: from memory for at most
 * `ttlMs`, so a client-credentials request costs no store round trip (docs/benchmarks.md
 * "Performance").
 *
 * Safe across replicas by construction:
 * - a miss always asks the store, and "not found" is never cached, so a client created through
 *   another replica works here at once;
 * - a change made through another replica (secret removed, client deleted, scopes changed)
 *   applies here when the catalog change poller sees the store's generation move and calls
 *   `invalidateAll` (about a second, catalog-change-poller.ts), and at the latest once the
 *   entry is `ttlMs` old — the bound when polling is off or failing;
 * - a change made through this replica's services goes through `stores`, whose writes drop the
 *   entry here at once;
 * - `invalidate*` is also the hook for an events consumer hearing `tessera.client.updated`.
 */
export interface CatalogCache {
  /** Reads served from memory (clients by id, resource servers by audience). */
  readonly cached: { readonly clients: ClientStore; readonly resourceServers: ResourceServerStore };
  /** Every read from the store (admin reads see the truth); every write invalidates here. */
  readonly stores: { readonly clients: ClientStore; readonly resourceServers: ResourceServerStore };
  invalidateClient(clientId: string): void;
  invalidateResourceServers(): void;
  invalidateAll(): void;
}

interface Entry<T> {
  readonly value: T;
  readonly expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * A TTL map with one store read per key at a time. A write bumps the key's generation, so a
 * read that started before it cannot put the value it fetched back afterwards.
 */
function createTtlCache<T>(options: CatalogCacheOptions) {
  const entries = new Map<string, Entry<T>>();
  const loading = new Map<string, Promise<T | undefined>>();
  const generations = new Map<string, number>();
  let epoch = 0;
  const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;

  const invalidate = (key: string) => {
    entries.delete(key);
    loading.delete(key);
    generations.set(key, (generations.get(key) ?? 0) + 1);
  };

  return {
    async get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
      if (options.ttlMs <= 0) return load();
      const now = options.clock();
      const entry = entries.get(key);
      if (entry && entry.expiresAt > now) return entry.value;
      const pending = loading.get(key);
      if (pending) return pending;
      const generation = generations.get(key);
      const startedEpoch = epoch;
      // Counted from the read's start: the store may change right after it answered.
      const expiresAt = now + options.ttlMs;
      const promise = load().then(
        (value) => {
          if (loading.get(key) === promise) loading.delete(key);
          const current = generations.get(key) === generation && epoch === startedEpoch;
          if (value === undefined || !current) {
            entries.delete(key);
            return value;
          }
          entries.delete(key);
          entries.set(key, { value, expiresAt });
          if (entries.size > max) entries.delete(entries.keys().next().value as string);
          if (generations.size > max) {
            // Forgetting generations must not let a read in flight store what it fetched.
            generations.clear();
            epoch += 1;
          }
          return value;
        },
        (error: unknown) => {
          if (loading.get(key) === promise) loading.delete(key);
          throw error;
        },
      );
      loading.set(key, promise);
      return promise;
    },
    invalidate,
    clear() {
      entries.clear();
      loading.clear();
      epoch += 1;
    },
  };
}

export function createCatalogCache(
  store: { readonly clients: ClientStore; readonly resourceServers: ResourceServerStore },
  options: CatalogCacheOptions,
): CatalogCache {
  const clients = createTtlCache<ClientRecord>(options);
  const resourceServers = createTtlCache<ResourceServerRecord>(options);

  /** Drops the entry before the write (a read racing it refetches) and after it (see above). */
  const invalidatingClientWrite =
    <A extends unknown[]>(write: (...args: A) => Promise<boolean>, idOf: (...args: A) => string) =>
    async (...args: A) => {
      clients.invalidate(idOf(...args));
      try {
        return await write(...args);
      } finally {
        clients.invalidate(idOf(...args));
      }
    };
  // A resource server's id does not name its audience entry: any write drops them all (rare).
  const invalidatingResourceServerWrite =
    <A extends unknown[]>(write: (...args: A) => Promise<boolean>) =>
    async (...args: A) => {
      resourceServers.clear();
      try {
        return await write(...args);
      } finally {
        resourceServers.clear();
      }
    };

  const clientStore: ClientStore = {
    get: (clientId) => store.clients.get(clientId),
    list: (page) => store.clients.list(page),
    insert: invalidatingClientWrite(
      (record, options) => store.clients.insert(record, options),
      (record) => record.clientId,
    ),
    update: invalidatingClientWrite(
      (record, options) => store.clients.update(record, options),
      (record) => record.clientId,
    ),
    delete: invalidatingClientWrite(
      (clientId, options) => store.clients.delete(clientId, options),
      (clientId) => clientId,
    ),
  };
  const resourceServerStore: ResourceServerStore = {
    get: (id) => store.resourceServers.get(id),
    getByAudience: (audience) => store.resourceServers.getByAudience(audience),
    list: (page) => store.resourceServers.list(page),
    insert: invalidatingResourceServerWrite((record, options) =>
      store.resourceServers.insert(record, options),
    ),
    update: invalidatingResourceServerWrite((record, options) =>
      store.resourceServers.update(record, options),
    ),
    delete: invalidatingResourceServerWrite((id, options) =>
      store.resourceServers.delete(id, options),
    ),
  };

  return {
    cached: {
      clients: {
        ...clientStore,
        get: (clientId) => clients.get(clientId, () => store.clients.get(clientId)),
      },
      resourceServers: {
        ...resourceServerStore,
        getByAudience: (audience) =>
          resourceServers.get(audience, () => store.resourceServers.getByAudience(audience)),
      },
    },
    stores: { clients: clientStore, resourceServers: resourceServerStore },
    invalidateClient: (clientId) => clients.invalidate(clientId),
    invalidateResourceServers: () => resourceServers.clear(),
    invalidateAll() {
      clients.clear();
      resourceServers.clear();
    },
  };
}
