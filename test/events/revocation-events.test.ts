import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashOpaqueToken } from '../../src/provider/revocation-events.ts';
import { registerClient, relyingParty, type RegisteredClient } from '../helpers/oauth-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

describe.each(STORAGE_BACKENDS)('token revocation events (%s store)', (backend) => {
  let t: TestTessera;
  let client: RegisteredClient;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    client = await registerClient(t);
    rp = await relyingParty(t, client);
  });
  afterAll(() => t.stop());

  const revokedEvents = () =>
    t.tessera.storage.outbox.listRecent({ type: 'tessera.token.revoked', limit: 100 });

  it('announces an opaque token revoked at the revocation endpoint by its hash, never its value', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(rp);
    await oidc.tokenRevocation(rp, token);

    const events = (await revokedEvents()).filter(
      (event) => event.data['token_hash'] === hashOpaqueToken(token),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject: client.clientId,
      key: client.clientId,
      data: {
        token_type: 'access_token',
        format: 'opaque',
        client_id: client.clientId,
        sub: null,
        grant_id: null,
        exp: expect.any(Number) as number,
        reason: 'revocation_endpoint',
      },
    });
    expect(JSON.stringify(await t.tessera.storage.outbox.listRecent({ limit: 100 }))).not.toContain(
      token,
    );
  });

  it('records nothing when the revoked token is unknown', async () => {
    const before = (await revokedEvents()).length;
    await oidc.tokenRevocation(rp, 'not-a-token-tessera-issued');
    expect(await revokedEvents()).toHaveLength(before);
  });
});
