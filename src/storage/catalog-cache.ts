import { LRUCache } from 'lru-cache';

import type { ClientRecord, ClientStore } from '../ports/clients.ts';
import type { ResourceServerRecord, ResourceServerStore } from '../ports/resource-servers.ts';

export interface CatalogCacheOptions {
  /** How long an entry is served without asking the store; 0 turns the cache off. */
  readonly ttlMs: number;
  readonly clock: () => number;
  /** Entries kept per kind; the least recently used go first beyond it. */
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

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Entries in lru-cache (the size bound, least recently used out first; the TTL on Tessera's
 * clock), with one store read per key at a time. A read keeps what it fetched only if it is
 * still the key's read in flight when it answers: a write (`invalidate`) or `clear` meanwhile
 * drops it from `loading`, so a value fetched before a write is never put back afterwards.
 *
 * The reads in flight stay here rather than in lru-cache's `fetch()`, which builds an options
 * object on every call, hit or not, and rejects the callers of a read that a delete aborts
 * (node_modules/lru-cache/dist/esm/index.js, `#fetch`, `#backgroundFetch`): a token request
 * that joined a read racing a client write would fail instead of being answered by it.
 */
function createTtlCache<T extends object>(options: CatalogCacheOptions) {
  const { ttlMs, clock } = options;
  const entries =
    ttlMs > 0
      ? new LRUCache<string, T>({
          max: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
          ttl: ttlMs,
          // Read Tessera's clock (frozen in tests) on every lookup; lru-cache's default would
          // read performance.now() and keep the reading for 1 ms behind a timer per reading.
          perf: { now: clock },
          ttlResolution: 0,
        })
      : undefined;
  const loading = new Map<string, Promise<T | undefined>>();
  // lru-cache's `get` defaults its options to a new `{}` per call: the hot path passes this one.
  const getOptions: LRUCache.GetOptions<string, T, unknown> = Object.freeze({});

  return {
    async get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
      if (!entries) return load();
      const cached = entries.get(key, getOptions);
      if (cached !== undefined) return cached;
      const pending = loading.get(key);
      if (pending) return pending;
      // Counted from the read's start: the store may change right after it answered. lru-cache
      // serves an entry while its age is at most `ttl` (`#isStale`); Tessera serves it while
      // younger than ttlMs, which on a millisecond clock (Date.now) is counting from 1 ms earlier.
      const start = clock() - 1;
      const promise = load().then(
        (value) => {
          if (loading.get(key) !== promise) return value;
          loading.delete(key);
          // "Not found" is never cached (set(key, undefined) is a delete).
          entries.set(key, value, { start });
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
    invalidate(key: string) {
      entries?.delete(key);
      loading.delete(key);
    },
    clear() {
      entries?.clear();
      loading.clear();
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
