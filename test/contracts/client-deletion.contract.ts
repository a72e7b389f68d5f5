import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ClientDeletionOptions } from '../../src/ports/clients.ts';
import type { OidcModelName } from '../../src/ports/oidc-models.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { client } from './record-stores.contract.ts';
import { createTestClock, testEvent, type OpenTestStorage } from './storage-fixture.ts';

/** ClientStore.delete takes what oidc-provider stored for the client with it. */
export function describeClientDeletionContract(adapter: string, open: OpenTestStorage): void {
  describe(`ClientStore.delete of a client holding tokens (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    const models = () => storage.oidcModels;
    /** What a client holds after a sign-in and a client-credentials request. */
    const holdings = async (clientId: string) => {
      const issued = (model: OidcModelName, id: string, extra: Record<string, unknown> = {}) =>
        models().upsert(model, id, { jti: id, clientId, ...extra }, 60);
      await issued('Grant', `${clientId}-g`, { accountId: 'u1' });
      await issued('AuthorizationCode', `${clientId}-c`, { grantId: `${clientId}-g` });
      await issued('RefreshToken', `${clientId}-r`, { grantId: `${clientId}-g` });
      await issued('AccessToken', `${clientId}-a`, { grantId: `${clientId}-g` });
      await issued('AccessToken', `${clientId}-jwt`, { grantId: `${clientId}-g`, format: 'jwt' });
      await issued('ClientCredentials', `${clientId}-cc`);
    };
    const heldBy = async (clientId: string) =>
      [
        await models().find('Grant', `${clientId}-g`),
        await models().find('AuthorizationCode', `${clientId}-c`),
        await models().find('RefreshToken', `${clientId}-r`),
        await models().find('AccessToken', `${clientId}-a`),
        await models().find('AccessToken', `${clientId}-jwt`),
        await models().find('ClientCredentials', `${clientId}-cc`),
      ].filter((payload) => payload !== undefined).length;
    /** One event per removed record, named after it, as the client service builds them. */
    const eventsFor: ClientDeletionOptions['eventsFor'] = (_model, removed) =>
      removed.map((payload) => testEvent(String(payload['jti'])));
    const recordedSubjects = async () =>
      (await storage.outbox.listRecent({ limit: 100 })).map((event) => event.subject).sort();

    it('removes everything issued to the client with it, and records the events', async () => {
      await storage.clients.insert(client('cl_1'));
      await storage.clients.insert(client('cl_2'));
      await holdings('cl_1');
      await holdings('cl_2');
      const deleted = testEvent('cl_1');

      expect(await storage.clients.delete('cl_1', { events: [deleted], eventsFor })).toBe(true);

      expect(await storage.clients.get('cl_1')).toBeUndefined();
      expect(await heldBy('cl_1')).toBe(0);
      expect(await heldBy('cl_2')).toBe(6);
      expect(await recordedSubjects()).toEqual(
        ['cl_1', ...['a', 'c', 'cc', 'g', 'jwt', 'r'].map((suffix) => `cl_1-${suffix}`)].sort(),
      );
    });

    it('sweeps what is left of a client already gone, and answers false', async () => {
      await holdings('cl_gone');
      const deleted = testEvent('cl_gone');

      expect(await storage.clients.delete('cl_gone', { events: [deleted], eventsFor })).toBe(false);

      expect(await heldBy('cl_gone')).toBe(0);
      const subjects = await recordedSubjects();
      expect(subjects).toHaveLength(6);
      expect(subjects).not.toContain('cl_gone');
    });

    it('leaves the client in place when cut short, and completes when repeated', async () => {
      await storage.clients.insert(client('cl_1'));
      await holdings('cl_1');
      const failing: ClientDeletionOptions['eventsFor'] = (model, removed) => {
        if (model === 'RefreshToken') throw new Error('simulated crash');
        return eventsFor(model, removed);
      };

      await expect(
        storage.clients.delete('cl_1', { events: [testEvent('cl_1')], eventsFor: failing }),
      ).rejects.toThrow('simulated crash');
      // SQLite rolls it all back; MongoDB keeps what went before the failure, with its events.
      expect(await storage.clients.get('cl_1')).toBeDefined();
      expect(await heldBy('cl_1')).toBeGreaterThan(0);

      expect(await storage.clients.delete('cl_1', { events: [testEvent('cl_1')], eventsFor })).toBe(
        true,
      );
      expect(await storage.clients.get('cl_1')).toBeUndefined();
      expect(await heldBy('cl_1')).toBe(0);
      const subjects = new Set(await recordedSubjects());
      for (const suffix of ['a', 'c', 'cc', 'g', 'jwt', 'r']) {
        expect(subjects).toContain(`cl_1-${suffix}`);
      }
    });
  });
}
