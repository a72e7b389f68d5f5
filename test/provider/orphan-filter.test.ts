import { describe, expect, it } from 'vitest';

import type { ClientRecord } from '../../src/ports/clients.ts';
import type { ResourceServerRecord } from '../../src/ports/resource-servers.ts';
import { createOrphanFilter } from '../../src/provider/orphan-filter.ts';
import { client, resourceServer } from '../contracts/record-stores.contract.ts';

const LEDGER = 'https://ledger.example.com';
const ISSUED_AT = 1_767_225_600; // epoch seconds

/** A filter over a catalog the test edits: clients by id, resource servers by audience. */
function setUp() {
  const clients = new Map<string, ClientRecord>([['cl_1', client('cl_1')]]);
  const servers = new Map<string, ResourceServerRecord>([
    [LEDGER, resourceServer('rs_old', LEDGER, { createdAt: (ISSUED_AT - 60) * 1000 })],
  ]);
  const filter = createOrphanFilter({
    findClient: async (id) => clients.get(id),
    findResourceServer: async (audience) => servers.get(audience),
  });
  /** The resource server is deleted and another one takes its audience, `afterSeconds` later. */
  const replaceServer = (afterSeconds: number) =>
    servers.set(
      LEDGER,
      resourceServer('rs_new', LEDGER, { createdAt: (ISSUED_AT + afterSeconds) * 1000 }),
    );
  return { clients, servers, filter, replaceServer };
}

const ledgerToken = { jti: 'cc~1', clientId: 'cl_1', aud: LEDGER, iat: ISSUED_AT, exp: 2e9 };

describe('the orphan filter (what deleted clients and resource servers left behind)', () => {
  it('admits a token while its client and resource server exist, and not once the client is gone', async () => {
    const { clients, filter } = setUp();
    const stored = await filter.stamp('ClientCredentials', ledgerToken);
    expect(await filter.admits('ClientCredentials', stored)).toBe(true);
    clients.delete('cl_1');
    expect(await filter.admits('ClientCredentials', stored)).toBe(false);
    expect(await filter.admits('RefreshToken', { jti: 'rt~1', clientId: 'cl_1' })).toBe(false);
    expect(await filter.admits('Interaction', { jti: 'i1', clientId: 'cl_1' })).toBe(true);
  });

  it('refuses a token of a deleted resource server, also once another one takes its audience', async () => {
    const { servers, filter, replaceServer } = setUp();
    const stored = await filter.stamp('AccessToken', ledgerToken);
    servers.delete(LEDGER);
    expect(await filter.admits('AccessToken', stored)).toBe(false);
    // Created within the same second as the token: only the recorded id tells them apart.
    replaceServer(0);
    expect(await filter.admits('AccessToken', stored)).toBe(false);
    expect(await filter.admits('AccessToken', await filter.stamp('AccessToken', ledgerToken))).toBe(
      true,
    );
  });

  it('judges a token stored before tokens recorded their resource server by when it was issued', async () => {
    const { filter, replaceServer } = setUp();
    expect(await filter.admits('AccessToken', ledgerToken)).toBe(true);
    replaceServer(1);
    expect(await filter.admits('AccessToken', ledgerToken)).toBe(false);
  });

  it('drops the session entries of deleted clients and keeps the others', async () => {
    const { clients, filter } = setUp();
    clients.set('cl_2', client('cl_2'));
    const session = {
      jti: 's1',
      accountId: 'acct_1',
      authorizations: { cl_1: { sid: 'a', grantId: 'g1' }, cl_2: { sid: 'b', grantId: 'g2' } },
    };
    expect(await filter.withoutDeletedClients(session)).toBe(session);
    clients.delete('cl_1');
    expect(await filter.withoutDeletedClients(session)).toEqual({
      ...session,
      authorizations: { cl_2: { sid: 'b', grantId: 'g2' } },
    });
  });
});
