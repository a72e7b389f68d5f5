import { errors, type Adapter } from 'oidc-provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { MongoStorage } from '../../adapters/mongodb/open-mongodb-storage.ts';
import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import { createOidcAdapterFactory } from '../../src/provider/oidc-adapter.ts';
import { createRemovalEvents, hashOpaqueToken } from '../../src/provider/removal-events.ts';
import { openTestMongoStorage } from '../helpers/mongodb-storage.ts';

const RACERS = 24;

/**
 * Many redemptions of one authorization code or refresh token racing through the oidc-provider
 * adapter, on MongoDB (FerretDB in this run, whose updates are not atomic on their own).
 */
describe('concurrent consumption through the oidc-provider adapter on MongoDB', () => {
  let storage: MongoStorage;
  let adapterFor: (model: string) => Adapter;

  beforeEach(async () => {
    storage = await openTestMongoStorage();
    const factory = createOidcAdapterFactory({
      models: storage.oidcModels,
      clients: storage.clients,
      findResourceServer: async () => undefined,
      removalEvents: createRemovalEvents(
        createEventFactory({
          source: 'https://id.example.com',
          clock: Date.now,
          onInvalid: throwInvalidEvent,
        }),
      ),
      currentContext: () => undefined,
    });
    adapterFor = (model) => factory(model);
  });
  afterEach(() => storage.close());

  const race = async (model: 'AuthorizationCode' | 'RefreshToken', id: string) => {
    const adapter = adapterFor(model);
    return Promise.allSettled(
      Array.from({ length: RACERS }, (): Promise<unknown> => adapter.consume(id)),
    );
  };

  it.each(['AuthorizationCode', 'RefreshToken'] as const)(
    'lets exactly one of %s redemptions win and refuses the rest as invalid_grant',
    async (model) => {
      await adapterFor(model).upsert('t1', { jti: 't1', kind: model, grantId: 'g1' }, 60);
      const results = await race(model, 't1');
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const refusals = results.flatMap((result): unknown[] =>
        result.status === 'rejected' ? [result.reason] : [],
      );
      expect(refusals).toHaveLength(RACERS - 1);
      for (const refusal of refusals) expect(refusal).toBeInstanceOf(errors.InvalidGrant);
    },
  );

  it('treats the losers as a replay: the tokens of the grant are revoked, and announced', async () => {
    const grant = { grantId: 'g2', clientId: 'cl_1', accountId: 'acct_1' };
    await adapterFor('AuthorizationCode').upsert('c1', { jti: 'c1', ...grant }, 60);
    await adapterFor('AccessToken').upsert('a1', { jti: 'a1', ...grant, exp: 2e9 }, 60);
    await adapterFor('Grant').upsert(
      'g2',
      { jti: 'g2', clientId: 'cl_1', accountId: 'acct_1' },
      600,
    );
    await race('AuthorizationCode', 'c1');
    // In the store itself: the adapter would not serve them anyway, their client cl_1 not existing.
    expect(await storage.oidcModels.find('AccessToken', 'a1')).toBeUndefined();
    expect(await storage.oidcModels.find('Grant', 'g2')).toBeUndefined();
    const events = await storage.outbox.listRecent({ limit: 100 });
    const revoked = events.filter((event) => event.type === 'tessera.token.revoked');
    expect(revoked.length).toBeGreaterThanOrEqual(1);
    expect(new Set(revoked.map((event) => event.data['token_hash']))).toEqual(
      new Set([hashOpaqueToken('a1')]),
    );
    expect(revoked[0]!.data).toMatchObject({ reason: 'code_reuse', grant_id: 'g2', sub: 'acct_1' });
    expect(events.some((event) => event.type === 'tessera.grant.revoked')).toBe(true);
  });
});
