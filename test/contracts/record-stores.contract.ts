import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ClientRecord } from '../../src/ports/clients.ts';
import type { ResourceServerRecord } from '../../src/ports/resource-servers.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, testEvent, type OpenTestStorage } from './storage-fixture.ts';

export function client(clientId: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId,
    name: `client ${clientId}`,
    metadata: { grant_types: ['client_credentials'], scope: 'a b' },
    secrets: [{ id: 'sec_1', hash: 'aGFzaA', createdAt: 1, expiresAt: undefined }],
    createdAt: 1,
    updatedAt: 1,
    version: 1,
    ...overrides,
  };
}

export function resourceServer(
  id: string,
  audience: string,
  overrides: Partial<ResourceServerRecord> = {},
): ResourceServerRecord {
  return {
    id,
    audience,
    name: audience,
    scopes: ['read', 'write'],
    accessTokenFormat: 'jwt',
    accessTokenTtl: 300,
    introspectors: [],
    requireDpop: false,
    createdAt: 1,
    updatedAt: 1,
    version: 1,
    ...overrides,
  };
}

export function describeClientStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`ClientStore contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    it('returns an inserted client exactly, secrets without expiry included', async () => {
      const record = client('cl_1', {
        secrets: [
          { id: 'sec_1', hash: 'aGFzaA', createdAt: 1, expiresAt: undefined },
          { id: 'sec_2', hash: 'b3RoZXI', createdAt: 2, expiresAt: 99 },
        ],
      });
      expect(await storage.clients.insert(record)).toBe(true);
      expect(await storage.clients.get('cl_1')).toEqual(record);
    });

    it('refuses a second client with the same id and keeps the first', async () => {
      await storage.clients.insert(client('cl_1'));
      const event = testEvent();
      expect(
        await storage.clients.insert(client('cl_1', { name: 'impostor' }), { events: [event] }),
      ).toBe(false);
      expect((await storage.clients.get('cl_1'))?.name).toBe('client cl_1');
      expect((await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id)).not.toContain(
        event.id,
      );
    });

    it('lets exactly one of many concurrent inserts with the same config key in, and any number without one', async () => {
      const ids = Array.from({ length: 12 }, (_, index) => `cl_${index}`);
      const results = await Promise.all(
        ids.map((id) => storage.clients.insert(client(id, { configKey: 'web' }))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = ids[results.indexOf(true)];
      expect((await storage.clients.list({ limit: 50 })).map((c) => c.clientId)).toEqual([winner]);
      expect(await storage.clients.insert(client('cl_other', { configKey: 'api' }))).toBe(true);
      expect(await storage.clients.insert(client('cl_plain_1'))).toBe(true);
      expect(await storage.clients.insert(client('cl_plain_2'))).toBe(true);
    });

    it('lists clients in id order, a page at a time', async () => {
      for (const id of ['cl_c', 'cl_a', 'cl_d', 'cl_b']) await storage.clients.insert(client(id));
      const first = await storage.clients.list({ limit: 2 });
      expect(first.map((c) => c.clientId)).toEqual(['cl_a', 'cl_b']);
      const second = await storage.clients.list({ after: 'cl_b', limit: 2 });
      expect(second.map((c) => c.clientId)).toEqual(['cl_c', 'cl_d']);
      expect(await storage.clients.list({ after: 'cl_d', limit: 2 })).toEqual([]);
    });

    it('applies an update only over the version it was based on', async () => {
      await storage.clients.insert(client('cl_1'));
      const v2 = client('cl_1', { name: 'renamed', version: 2 });
      expect(await storage.clients.update(v2)).toBe(true);
      const stale = client('cl_1', { name: 'lost update', version: 2 });
      expect(await storage.clients.update(stale)).toBe(false);
      expect(await storage.clients.get('cl_1')).toEqual(v2);
    });

    it('lets exactly one of many concurrent updates based on the same version win', async () => {
      await storage.clients.insert(client('cl_1'));
      const edits = Array.from({ length: 8 }, (_, i) =>
        client('cl_1', { name: `edit ${i}`, version: 2 }),
      );
      const results = await Promise.all(edits.map((edit) => storage.clients.update(edit)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await storage.clients.get('cl_1')).toEqual(edits[results.indexOf(true)]);
    });

    it('reports false when updating an absent client', async () => {
      expect(await storage.clients.update(client('cl_x', { version: 2 }))).toBe(false);
    });

    it('deletes once', async () => {
      await storage.clients.insert(client('cl_1'));
      expect(await storage.clients.delete('cl_1')).toBe(true);
      expect(await storage.clients.get('cl_1')).toBeUndefined();
      expect(await storage.clients.delete('cl_1')).toBe(false);
    });

    it('deletes with an expected version only while the client is still at that version', async () => {
      await storage.clients.insert(client('cl_1'));
      await storage.clients.update(client('cl_1', { name: 'renamed', version: 2 }));
      const refused = testEvent('cl_1');
      expect(await storage.clients.delete('cl_1', { expectedVersion: 1, events: [refused] })).toBe(
        false,
      );
      expect((await storage.clients.get('cl_1'))?.name).toBe('renamed');
      expect((await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id)).not.toContain(
        refused.id,
      );
      expect(await storage.clients.delete('cl_1', { expectedVersion: 2 })).toBe(true);
      expect(await storage.clients.get('cl_1')).toBeUndefined();
      expect(await storage.clients.delete('cl_1', { expectedVersion: 2 })).toBe(false);
    });

    it('lets either a conditional delete or a concurrent update of the same version win, never both', async () => {
      for (let round = 0; round < 5; round += 1) {
        const id = `cl_race_${round}`;
        await storage.clients.insert(client(id));
        const edit = client(id, { name: 'edited', version: 2 });
        const [deleted, updated] = await Promise.all([
          storage.clients.delete(id, { expectedVersion: 1 }),
          storage.clients.update(edit),
        ]);
        expect(deleted !== updated, `round ${round}`).toBe(true);
        expect(await storage.clients.get(id)).toEqual(updated ? edit : undefined);
      }
    });

    it('records the events of successful writes', async () => {
      const created = testEvent('cl_1');
      const updated = testEvent('cl_1');
      const deleted = testEvent('cl_1');
      await storage.clients.insert(client('cl_1'), { events: [created] });
      await storage.clients.update(client('cl_1', { version: 2 }), { events: [updated] });
      await storage.clients.delete('cl_1', { events: [deleted] });
      const ids = (await storage.outbox.listRecent({ limit: 5 })).map((e) => e.id);
      expect(ids).toEqual([deleted.id, updated.id, created.id]);
    });
  });
}

export function describeResourceServerStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`ResourceServerStore contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    it('finds a resource server by id and by audience', async () => {
      const record = resourceServer('rs_1', 'https://api.example.com/');
      expect(await storage.resourceServers.insert(record)).toBe(true);
      expect(await storage.resourceServers.get('rs_1')).toEqual(record);
      expect(await storage.resourceServers.getByAudience('https://api.example.com/')).toEqual(
        record,
      );
      expect(
        await storage.resourceServers.getByAudience('https://api.example.com'),
      ).toBeUndefined();
    });

    it('refuses a second resource server with the same audience', async () => {
      await storage.resourceServers.insert(resourceServer('rs_1', 'https://api.example.com'));
      expect(
        await storage.resourceServers.insert(resourceServer('rs_2', 'https://api.example.com')),
      ).toBe(false);
      expect(await storage.resourceServers.get('rs_2')).toBeUndefined();
    });

    it('refuses a second resource server with the same config key, even racing', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          storage.resourceServers.insert(
            resourceServer(`rs_${index}`, `https://api${index}.example.com`, {
              configKey: 'orders',
            }),
          ),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await storage.resourceServers.list({ limit: 50 })).toHaveLength(1);
      expect(
        await storage.resourceServers.insert(
          resourceServer('rs_plain', 'https://plain.example.com'),
        ),
      ).toBe(true);
    });

    it("refuses an update that would take another server's audience", async () => {
      await storage.resourceServers.insert(resourceServer('rs_1', 'https://one.example.com'));
      await storage.resourceServers.insert(resourceServer('rs_2', 'https://two.example.com'));
      const clash = resourceServer('rs_2', 'https://one.example.com', { version: 2 });
      expect(await storage.resourceServers.update(clash)).toBe(false);
      expect((await storage.resourceServers.get('rs_2'))?.audience).toBe('https://two.example.com');
    });

    it('applies an update only over the version it was based on', async () => {
      await storage.resourceServers.insert(resourceServer('rs_1', 'https://api.example.com'));
      const v2 = resourceServer('rs_1', 'https://api.example.com', {
        scopes: ['read'],
        version: 2,
      });
      expect(await storage.resourceServers.update(v2)).toBe(true);
      expect(await storage.resourceServers.update({ ...v2, scopes: ['x'] })).toBe(false);
      expect(await storage.resourceServers.getByAudience('https://api.example.com')).toEqual(v2);
    });

    it('keeps the introspectors each read and update carries, bound to their clients', async () => {
      const introspectors = [
        { clientId: 'cl_b', clientCreatedAt: 20 },
        { clientId: 'cl_a', clientCreatedAt: 10 },
      ];
      const record = resourceServer('rs_1', 'https://api.example.com', { introspectors });
      await storage.resourceServers.insert(record);
      expect((await storage.resourceServers.get('rs_1'))?.introspectors).toEqual(introspectors);
      const fewer = { ...record, introspectors: [introspectors[1]!], version: 2 };
      expect(await storage.resourceServers.update(fewer)).toBe(true);
      expect(await storage.resourceServers.getByAudience('https://api.example.com')).toEqual(fewer);
      expect((await storage.resourceServers.list({ limit: 10 }))[0]?.introspectors).toEqual([
        { clientId: 'cl_a', clientCreatedAt: 10 },
      ]);
    });

    it('deletes with an expected version only while the server is still at that version', async () => {
      const v1 = resourceServer('rs_1', 'https://api.example.com');
      await storage.resourceServers.insert(v1);
      await storage.resourceServers.update({ ...v1, scopes: ['read'], version: 2 });
      expect(await storage.resourceServers.delete('rs_1', { expectedVersion: 1 })).toBe(false);
      expect((await storage.resourceServers.get('rs_1'))?.scopes).toEqual(['read']);
      expect(await storage.resourceServers.delete('rs_1', { expectedVersion: 2 })).toBe(true);
      expect(
        await storage.resourceServers.getByAudience('https://api.example.com'),
      ).toBeUndefined();
    });

    it('lets either a conditional delete or a concurrent update of the same version win, never both', async () => {
      for (let round = 0; round < 5; round += 1) {
        const v1 = resourceServer(`rs_race_${round}`, `https://race-${round}.example.com`);
        await storage.resourceServers.insert(v1);
        const edit = { ...v1, scopes: ['edited'], version: 2 };
        const [deleted, updated] = await Promise.all([
          storage.resourceServers.delete(v1.id, { expectedVersion: 1 }),
          storage.resourceServers.update(edit),
        ]);
        expect(deleted !== updated, `round ${round}`).toBe(true);
        expect(await storage.resourceServers.get(v1.id)).toEqual(updated ? edit : undefined);
      }
    });

    it('keeps whether a resource server requires DPoP through inserts, updates and reads', async () => {
      const record = resourceServer('rs_1', 'https://api.example.com', { requireDpop: true });
      await storage.resourceServers.insert(record);
      expect((await storage.resourceServers.get('rs_1'))?.requireDpop).toBe(true);
      const relaxed = { ...record, requireDpop: false, version: 2 };
      expect(await storage.resourceServers.update(relaxed)).toBe(true);
      expect(await storage.resourceServers.getByAudience('https://api.example.com')).toEqual(
        relaxed,
      );
      expect((await storage.resourceServers.list({ limit: 10 }))[0]?.requireDpop).toBe(false);
    });

    it('lists in id order and deletes once', async () => {
      await storage.resourceServers.insert(resourceServer('rs_b', 'https://b.example.com'));
      await storage.resourceServers.insert(resourceServer('rs_a', 'https://a.example.com'));
      expect((await storage.resourceServers.list({ limit: 10 })).map((r) => r.id)).toEqual([
        'rs_a',
        'rs_b',
      ]);
      expect(await storage.resourceServers.delete('rs_a')).toBe(true);
      expect(await storage.resourceServers.delete('rs_a')).toBe(false);
      expect(await storage.resourceServers.getByAudience('https://a.example.com')).toBeUndefined();
    });
  });
}
