import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('discovery, JWKS and health endpoints', () => {
  let t: TestTessera;
  beforeAll(async () => {
    t = await startTestTessera();
  });
  afterAll(() => t.stop());

  it('publishes an OpenID configuration for its issuer with every endpoint', async () => {
    const response = await fetch(`${t.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(t.issuer);
    for (const endpoint of [
      'token_endpoint',
      'introspection_endpoint',
      'revocation_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'end_session_endpoint',
      'authorization_endpoint',
    ]) {
      expect(metadata[endpoint], endpoint).toMatch(new RegExp(`^${t.issuer}/`));
    }
    expect(metadata.grant_types_supported).toContain('client_credentials');
  });

  it('offers no client authentication or algorithm that needs a plaintext client secret', async () => {
    const metadata = (await (
      await fetch(`${t.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(metadata.token_endpoint_auth_methods_supported).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ]);
    const algorithms = Object.entries(metadata)
      .filter(([name]) => name.endsWith('_alg_values_supported'))
      .flatMap(([, values]) => values as string[]);
    expect(algorithms.length).toBeGreaterThan(0);
    expect(algorithms.filter((alg) => alg.startsWith('HS'))).toEqual([]);
    expect(JSON.stringify(metadata)).not.toContain('client_secret_jwt');
  });

  it('serves the current and the next key generation, cacheable, with no private members', async () => {
    const response = await fetch(`${t.issuer}/jwks`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=600');
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'ES256', 'RS256', 'RS256']);
    const stored = await t.tessera.signingKeyAdmin.list();
    expect(stored.map((key) => key.state).sort()).toEqual(['current', 'current', 'next', 'next']);
    expect(keys.map((key) => key.kid).sort()).toEqual(stored.map((key) => key.kid).sort());
    for (const key of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
        expect(key, `${String(key.kid)}.${member}`).not.toHaveProperty(member);
      }
      expect(key.kid).toEqual(expect.any(String));
    }
  });

  it('answers /healthz and /readyz with 200 while the store and keys are fine', async () => {
    const health = await fetch(`${t.issuer}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.issuer}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const kept = await fetch(`${t.issuer}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await fetch(`${t.issuer}/healthz`, {
      headers: { 'x-request-id': 'bad id\u00e9' },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers on provider responses too', async () => {
    const response = await fetch(`${t.issuer}/.well-known/openid-configuration`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
