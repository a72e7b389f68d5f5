import { describe, expect, it } from 'vitest';

import {
  isEntitledToIntrospect,
  singleAudience,
  type EntitlementLookups,
  type IntrospectedToken,
} from '../../src/provider/introspection-entitlement.ts';

const API = 'https://orders.example.com';
const OTHER_API = 'https://ledger.example.com';

/**
 * Clients by id with their creation times, and which resource server names whom; every lookup
 * is counted, so a test can see that a check needed none.
 */
function lookupsOver(state: {
  clients: Record<string, number>;
  introspectors: Record<string, Record<string, number>>;
}) {
  const calls: string[] = [];
  const lookups: EntitlementLookups = {
    async introspectorsFor(audience) {
      calls.push(`introspectorsFor ${audience}`);
      const named = state.introspectors[audience];
      return named && new Map(Object.entries(named));
    },
    async clientCreatedAt(clientId) {
      calls.push(`clientCreatedAt ${clientId}`);
      return state.clients[clientId];
    },
  };
  return { lookups, calls };
}

const world = () =>
  lookupsOver({
    clients: { cl_owner: 1, cl_api: 2, cl_ledger: 3, cl_other: 4 },
    introspectors: { [API]: { cl_api: 2 }, [OTHER_API]: { cl_ledger: 3 } },
  });

const accessToken = (overrides: Partial<IntrospectedToken> = {}): IntrospectedToken => ({
  kind: 'AccessToken',
  clientId: 'cl_owner',
  audience: API,
  ...overrides,
});
const confidential = (clientId: string) => ({ clientId, isPublic: false });

describe('isEntitledToIntrospect', () => {
  it('entitles the client a token was issued to, without any lookup', async () => {
    const { lookups, calls } = world();
    for (const kind of ['AccessToken', 'ClientCredentials', 'RefreshToken']) {
      const token = accessToken({ kind, audience: undefined });
      expect(await isEntitledToIntrospect(confidential('cl_owner'), token, lookups)).toBe(true);
      const publicOwner = { clientId: 'cl_owner', isPublic: true };
      expect(await isEntitledToIntrospect(publicOwner, token, lookups)).toBe(true);
    }
    expect(calls).toEqual([]);
  });

  it("entitles a client the token's resource server names, for access tokens of either kind", async () => {
    const { lookups } = world();
    for (const kind of ['AccessToken', 'ClientCredentials']) {
      expect(
        await isEntitledToIntrospect(confidential('cl_api'), accessToken({ kind }), lookups),
      ).toBe(true);
    }
  });

  it('refuses a client another resource server names', async () => {
    const { lookups } = world();
    expect(await isEntitledToIntrospect(confidential('cl_ledger'), accessToken(), lookups)).toBe(
      false,
    );
  });

  it('refuses a client no resource server names', async () => {
    const { lookups } = world();
    expect(await isEntitledToIntrospect(confidential('cl_other'), accessToken(), lookups)).toBe(
      false,
    );
  });

  it("refuses even a named introspector another client's refresh token, with no lookup", async () => {
    const { lookups, calls } = world();
    const refresh = accessToken({ kind: 'RefreshToken' });
    expect(await isEntitledToIntrospect(confidential('cl_api'), refresh, lookups)).toBe(false);
    expect(calls).toEqual([]);
  });

  it('refuses everyone but the owner a token without an audience, with no lookup', async () => {
    const { lookups, calls } = world();
    const adminToken = accessToken({ kind: 'ClientCredentials', audience: undefined });
    for (const caller of ['cl_api', 'cl_ledger', 'cl_other']) {
      expect(await isEntitledToIntrospect(confidential(caller), adminToken, lookups)).toBe(false);
    }
    expect(calls).toEqual([]);
  });

  it('refuses a public client tokens not its own, even one a resource server names', async () => {
    const { lookups, calls } = world();
    const caller = { clientId: 'cl_api', isPublic: true };
    expect(await isEntitledToIntrospect(caller, accessToken(), lookups)).toBe(false);
    expect(calls).toEqual([]);
  });

  it('refuses a client created under the id of the one the resource server named', async () => {
    const { lookups } = lookupsOver({
      clients: { cl_owner: 1, cl_api: 99 },
      introspectors: { [API]: { cl_api: 2 } },
    });
    expect(await isEntitledToIntrospect(confidential('cl_api'), accessToken(), lookups)).toBe(
      false,
    );
  });

  it('refuses every introspector the tokens of a client that no longer exists', async () => {
    const { lookups } = lookupsOver({
      clients: { cl_api: 2 },
      introspectors: { [API]: { cl_api: 2 } },
    });
    expect(await isEntitledToIntrospect(confidential('cl_api'), accessToken(), lookups)).toBe(
      false,
    );
  });

  it('refuses an audience no resource server has (any more)', async () => {
    const { lookups } = world();
    const token = accessToken({ audience: 'https://deleted.example.com' });
    expect(await isEntitledToIntrospect(confidential('cl_api'), token, lookups)).toBe(false);
  });

  it('refuses a token without a client to everyone', async () => {
    const { lookups } = world();
    const token = accessToken({ clientId: undefined });
    expect(await isEntitledToIntrospect(confidential('cl_api'), token, lookups)).toBe(false);
  });
});

describe('singleAudience', () => {
  it('reads a string or a one-element array as the audience, and anything else as none', () => {
    expect(singleAudience(API)).toBe(API);
    expect(singleAudience([API])).toBe(API);
    expect(singleAudience([API, OTHER_API])).toBeUndefined();
    expect(singleAudience([])).toBeUndefined();
    expect(singleAudience(undefined)).toBeUndefined();
    expect(singleAudience(42)).toBeUndefined();
    expect(singleAudience([42])).toBeUndefined();
  });
});
