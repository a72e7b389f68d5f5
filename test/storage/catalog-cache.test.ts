import { describe, expect, it } from 'vitest';

import type { ClientRecord, ClientStore } from '../../src/ports/clients.ts';
import type {
  ResourceServerRecord,
  ResourceServerStore,
} from '../../src/ports/resource-servers.ts';
import { createCatalogCache } from '../../src/storage/catalog-cache.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';

const client = (clientId: string, version = 1): ClientRecord => ({
  clientId,
  name: clientId,
  metadata: { scope: `v${version}` },
  secrets: [],
  createdAt: 0,
  updatedAt: 0,
  version,
});

/** An in-memory store that counts reads and can hold a read until released. */
function countingStore() {
  const clients = new Map<string, ClientRecord>();
  const servers = new Map<string, ResourceServerRecord>();
  const reads = { clients: 0, resourceServers: 0 };
  let gate: Promise<void> | undefined;
  const clientStore: ClientStore = {
    async get(id) {
      reads.clients += 1;
      const value = clients.get(id);
      await gate;
      return value;
    },
    list: async () => [...clients.values()],
    async insert(record) {
      clients.set(record.clientId, record);
      return true;
    },
    async update(record) {
      clients.set(record.clientId, record);
      return true;
    },
    delete: async (id) => clients.delete(id),
  };
  const resourceServers: ResourceServerStore = {
    get: async (id) => servers.get(id),
    async getByAudience(audience) {
      reads.resourceServers += 1;
      return [...servers.values()].find((server) => server.audience === audience);
    },
    list: async () => [...servers.values()],
    async insert(record) {
      servers.set(record.id, record);
      return true;
    },
    async update(record) {
      servers.set(record.id, record);
      return true;
    },
    delete: async (id) => servers.delete(id),
  };
  return {
    store: { clients: clientStore, resourceServers },
    raw: { clients, servers },
    reads,
    hold() {
      let release = () => undefined as void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const server = (audience: string, scopes: string[]): ResourceServerRecord => ({
  id: `rs-${audience}`,
  audience,
  name: audience,
  scopes,
  accessTokenFormat: 'jwt',
  accessTokenTtl: 60,
  introspectors: [],
  requireDpop: false,
  createdAt: 0,
  updatedAt: 0,
  version: 1,
});

describe('catalog cache', () => {
  const setUp = (ttlMs = 5000) => {
    const clock = createTestClock();
    const backing = countingStore();
    const cache = createCatalogCache(backing.store, { ttlMs, clock });
    return { clock, backing, cache };
  };

  it('answers repeated lookups of a client from one store read within the TTL', async () => {
    const { backing, cache } = setUp();
    backing.raw.clients.set('a', client('a'));
    for (let i = 0; i < 5; i += 1) expect(await cache.cached.clients.get('a')).toEqual(client('a'));
    expect(backing.reads.clients).toBe(1);
  });

  it('reads the store again once the entry is TTL old, seeing changes made elsewhere', async () => {
    const { clock, backing, cache } = setUp();
    backing.raw.clients.set('a', client('a', 1));
    await cache.cached.clients.get('a');
    backing.raw.clients.set('a', client('a', 2)); // another replica's write
    clock.advance(4999);
    expect((await cache.cached.clients.get('a'))?.version).toBe(1);
    clock.advance(1);
    expect((await cache.cached.clients.get('a'))?.version).toBe(2);
  });

  it('never caches an unknown client: one created elsewhere is found at once', async () => {
    const { backing, cache } = setUp();
    expect(await cache.cached.clients.get('new')).toBeUndefined();
    backing.raw.clients.set('new', client('new'));
    expect(await cache.cached.clients.get('new')).toEqual(client('new'));
  });

  it('forgets a deleted client elsewhere within the TTL', async () => {
    const { clock, backing, cache } = setUp();
    backing.raw.clients.set('a', client('a'));
    await cache.cached.clients.get('a');
    backing.raw.clients.delete('a');
    clock.advance(5000);
    expect(await cache.cached.clients.get('a')).toBeUndefined();
  });

  it("applies this replica's own writes at once", async () => {
    const { backing, cache } = setUp();
    await cache.stores.clients.insert(client('a', 1));
    await cache.cached.clients.get('a');
    await cache.stores.clients.update(client('a', 2));
    expect((await cache.cached.clients.get('a'))?.version).toBe(2);
    await cache.stores.clients.delete('a');
    expect(await cache.cached.clients.get('a')).toBeUndefined();
    expect(backing.reads.clients).toBe(3);
  });

  it('serves the services from the store, never from memory', async () => {
    const { backing, cache } = setUp();
    backing.raw.clients.set('a', client('a', 1));
    await cache.cached.clients.get('a');
    backing.raw.clients.set('a', client('a', 2));
    expect((await cache.stores.clients.get('a'))?.version).toBe(2);
  });

  it('shares one store read among concurrent lookups of the same client', async () => {
    const { backing, cache } = setUp();
    backing.raw.clients.set('a', client('a'));
    const release = backing.hold();
    const lookups = Array.from({ length: 10 }, () => cache.cached.clients.get('a'));
    release();
    expect(await Promise.all(lookups)).toEqual(Array(10).fill(client('a')));
    expect(backing.reads.clients).toBe(1);
  });

  it('does not keep what a read fetched when a write landed while it was in flight', async () => {
    const { backing, cache } = setUp();
    backing.raw.clients.set('a', client('a', 1));
    const release = backing.hold();
    const stale = cache.cached.clients.get('a');
    await cache.stores.clients.update(client('a', 2));
    release();
    expect((await stale)?.version).toBe(1);
    expect((await cache.cached.clients.get('a'))?.version).toBe(2);
  });

  it('does not keep what a read fetched when invalidateAll ran while it was in flight', async () => {
    const { backing, cache } = setUp();
    backing.raw.clients.set('a', client('a', 1));
    const release = backing.hold();
    const stale = cache.cached.clients.get('a');
    backing.raw.clients.set('a', client('a', 2)); // another replica's write, seen by the poller
    cache.invalidateAll();
    release();
    expect((await stale)?.version).toBe(1);
    expect((await cache.cached.clients.get('a'))?.version).toBe(2);
  });

  it('answers with the same record object while it stays cached, a new one once read again', async () => {
    const { clock, backing, cache } = setUp();
    backing.raw.clients.set('a', client('a'));
    const first = await cache.cached.clients.get('a');
    clock.advance(4999);
    expect(await cache.cached.clients.get('a')).toBe(first);
    clock.advance(1);
    backing.raw.clients.set('a', client('a'));
    expect(await cache.cached.clients.get('a')).not.toBe(first);
  });

  it('does not cache a failed read: the next lookup asks the store again', async () => {
    const backing = countingStore();
    let reachable = false;
    const clients: ClientStore = {
      ...backing.store.clients,
      get: (id) =>
        reachable ? backing.store.clients.get(id) : Promise.reject(new Error('store unreachable')),
    };
    const cache = createCatalogCache(
      { ...backing.store, clients },
      { ttlMs: 5000, clock: createTestClock() },
    );
    backing.raw.clients.set('a', client('a'));
    await expect(cache.cached.clients.get('a')).rejects.toThrow('store unreachable');
    reachable = true;
    expect(await cache.cached.clients.get('a')).toEqual(client('a'));
  });

  it('drops entries when told to (push invalidation from events)', async () => {
    const { backing, cache } = setUp();
    backing.raw.clients.set('a', client('a', 1));
    await cache.cached.clients.get('a');
    backing.raw.clients.set('a', client('a', 2));
    cache.invalidateClient('a');
    expect((await cache.cached.clients.get('a'))?.version).toBe(2);
    backing.raw.clients.set('a', client('a', 3));
    cache.invalidateAll();
    expect((await cache.cached.clients.get('a'))?.version).toBe(3);
  });

  it('caches resource servers by audience and drops them all on any resource-server write', async () => {
    const { backing, cache } = setUp();
    await cache.stores.resourceServers.insert(server('https://api', ['read']));
    await cache.cached.resourceServers.getByAudience('https://api');
    await cache.cached.resourceServers.getByAudience('https://api');
    expect(backing.reads.resourceServers).toBe(1);
    await cache.stores.resourceServers.update({ ...server('https://api', ['write']), version: 2 });
    expect((await cache.cached.resourceServers.getByAudience('https://api'))?.scopes).toEqual([
      'write',
    ]);
  });

  it('reads the store every time when the TTL is 0', async () => {
    const { backing, cache } = setUp(0);
    backing.raw.clients.set('a', client('a'));
    await cache.cached.clients.get('a');
    await cache.cached.clients.get('a');
    expect(backing.reads.clients).toBe(2);
  });

  it('keeps at most maxEntries clients, dropping the oldest', async () => {
    const clock = createTestClock();
    const backing = countingStore();
    const cache = createCatalogCache(backing.store, { ttlMs: 5000, clock, maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) backing.raw.clients.set(id, client(id));
    for (const id of ['a', 'b', 'c']) await cache.cached.clients.get(id);
    await cache.cached.clients.get('c');
    await cache.cached.clients.get('a');
    expect(backing.reads.clients).toBe(4);
  });

  it('keeps a client read recently over one read longer ago when it is full', async () => {
    const clock = createTestClock();
    const backing = countingStore();
    const cache = createCatalogCache(backing.store, { ttlMs: 5000, clock, maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) backing.raw.clients.set(id, client(id));
    await cache.cached.clients.get('a');
    await cache.cached.clients.get('b');
    await cache.cached.clients.get('a');
    await cache.cached.clients.get('c'); // drops b, read longer ago than a
    await cache.cached.clients.get('a');
    expect(backing.reads.clients).toBe(3);
  });
});
