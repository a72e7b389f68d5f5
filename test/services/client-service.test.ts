import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppError } from '../../src/services/app-error.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('client registration rules', () => {
  let t: TestTessera;
  beforeAll(async () => {
    t = await startTestTessera();
  });
  afterAll(() => t.stop());

  const refusal = async (metadata: Record<string, unknown>) => {
    try {
      await t.tessera.clients.create({ name: 'rules', metadata });
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      return error as AppError;
    }
    throw new Error('expected the client to be refused');
  };

  it('refuses client_secret_jwt: secrets are stored hashed', async () => {
    const error = await refusal({ token_endpoint_auth_method: 'client_secret_jwt' });
    expect(error).toMatchObject({ code: 'validation_failed', field: 'token_endpoint_auth_method' });
  });

  it('refuses HMAC algorithms in any *_alg metadata', async () => {
    const error = await refusal({
      grant_types: ['client_credentials'],
      introspection_signed_response_alg: 'HS256',
    });
    expect(error).toMatchObject({
      code: 'validation_failed',
      field: 'introspection_signed_response_alg',
    });
  });

  it('refuses caller-chosen client ids and secrets', async () => {
    expect(await refusal({ client_id: 'mine' })).toMatchObject({ field: 'client_id' });
    expect(await refusal({ client_secret: 'mine' })).toMatchObject({ field: 'client_secret' });
  });

  it('refuses a public client for client credentials', async () => {
    const error = await refusal({
      token_endpoint_auth_method: 'none',
      grant_types: ['client_credentials'],
    });
    expect(error).toMatchObject({ code: 'validation_failed', field: 'grant_types' });
  });

  it("applies oidc-provider's own metadata validation (redirect URIs)", async () => {
    const error = await refusal({
      grant_types: ['authorization_code'],
      redirect_uris: ['https://app.example.com/cb#fragment'],
    });
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('redirect_uris');
  });

  it('creates a confidential client with a secret shown once, and a public one without', async () => {
    const confidential = await t.tessera.clients.create({ name: 'svc', metadata: {} });
    expect(confidential.secret?.secret).toEqual(expect.any(String));
    expect(confidential.client.clientId).toMatch(/^cl_[A-Za-z0-9_-]+$/);
    expect(confidential.client.metadata).toMatchObject({
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const publicClient = await t.tessera.clients.create({
      name: 'spa',
      metadata: {
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        redirect_uris: ['http://127.0.0.1:8080/callback'],
      },
    });
    expect(publicClient.secret).toBeUndefined();
    expect(publicClient.client.secrets).toEqual([]);
  });

  it('records a client.created event without any secret in it', async () => {
    const { client, secret } = await t.tessera.clients.create({ name: 'evented', metadata: {} });
    const [event] = await t.tessera.storage.outbox.listRecent({
      type: 'tessera.client.created',
      limit: 1,
    });
    expect(event).toMatchObject({
      subject: client.clientId,
      key: client.clientId,
      source: t.issuer,
    });
    expect(JSON.stringify(event)).not.toContain(secret!.secret);
    expect(JSON.stringify(event)).not.toContain(client.secrets[0]!.hash);
  });

  it("refuses to remove a client's last valid secret", async () => {
    const { client } = await t.tessera.clients.create({ name: 'one secret', metadata: {} });
    await expect(
      t.tessera.clients.removeSecret(client.clientId, client.secrets[0]!.id),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('refuses an update based on a stale version', async () => {
    const { client } = await t.tessera.clients.create({ name: 'versioned', metadata: {} });
    await t.tessera.clients.update(client.clientId, { name: 'first', expectedVersion: 1 });
    await expect(
      t.tessera.clients.update(client.clientId, { name: 'second', expectedVersion: 1 }),
    ).rejects.toMatchObject({
      code: 'version_mismatch',
    });
    expect((await t.tessera.clients.get(client.clientId)).name).toBe('first');
  });
});
