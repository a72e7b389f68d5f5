import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import {
  basicAuth,
  postForm,
  registerClient,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

describe.each(STORAGE_BACKENDS)('deleting a resource server (%s store)', (backend) => {
  let t: TestTessera;
  let call: AdminCall;
  let service: RegisteredClient;
  let api: RegisteredClient;
  let audiences = 0;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    call = adminClient(t, (await issueToken(t)).token);
    service = await registerClient(t, { scope: 'ledger:read' });
    api = await registerClient(t, { name: 'ledger api' });
  });
  afterAll(() => t.stop());

  /** An API whose access tokens are opaque, so that it introspects them (as their introspector). */
  const createOpaqueApi = async (audience: string) => {
    const created = await call('POST', '/resource-servers', {
      body: {
        audience,
        scopes: ['ledger:read'],
        access_token_format: 'opaque',
        introspectors: [api.clientId],
      },
    });
    expect(created.status).toBe(201);
    return String(created.body.id);
  };
  const tokenFor = async (audience: string) => {
    const { body } = await postForm(
      `${t.issuer}/token`,
      new URLSearchParams({
        grant_type: 'client_credentials',
        resource: audience,
        scope: 'ledger:read',
      }).toString(),
      { authorization: basicAuth(service.clientId, service.clientSecret) },
    );
    return String(body['access_token']);
  };
  const introspect = async (token: string) =>
    (
      await postForm(`${t.issuer}/token/introspection`, `token=${encodeURIComponent(token)}`, {
        authorization: basicAuth(api.clientId, api.clientSecret),
      })
    ).body;
  const freshAudience = () => `https://ledger-${(audiences += 1)}.example.com`;

  it('makes its opaque tokens inactive at once', async () => {
    const audience = freshAudience();
    const id = await createOpaqueApi(audience);
    const token = await tokenFor(audience);
    expect(await introspect(token)).toMatchObject({ active: true, aud: audience });

    expect((await call('DELETE', `/resource-servers/${id}`)).status).toBe(204);

    expect(await introspect(token)).toEqual({ active: false });
  });

  it('does not revive them when a new resource server takes the same audience', async () => {
    const audience = freshAudience();
    const old = await createOpaqueApi(audience);
    const token = await tokenFor(audience);
    await call('DELETE', `/resource-servers/${old}`);

    await createOpaqueApi(audience);

    expect(await introspect(token)).toEqual({ active: false });
    const fresh = await tokenFor(audience);
    expect(await introspect(fresh)).toMatchObject({ active: true, aud: audience });
  });
});
