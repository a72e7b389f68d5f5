import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  basicAuth,
  postForm,
  refusal,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from '../helpers/oauth-fixtures.ts';
import { sampleValue, scrape, type Sample } from '../helpers/prometheus-text.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** Polls /metrics until `check` passes: request metrics are recorded when a response closes. */
async function eventually(t: TestTessera, check: (samples: Sample[]) => void): Promise<void> {
  await expect
    .poll(async () => {
      check(await scrape(t.issuer));
      return true;
    })
    .toBe(true);
}

describe('GET /metrics', () => {
  let t: TestTessera;
  let client: RegisteredClient;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    t = await startTestTessera();
    client = await registerClient(t, { scope: 'tessera:admin' });
    rp = await relyingParty(t, client);
  });
  afterAll(() => t.stop());

  it('serves the Prometheus text format with process metrics and the event-loop lag', async () => {
    const response = await fetch(`${t.issuer}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(text).toContain(`\n${name} `);
    }
  });

  it('counts responses by route template and status, never by raw path', async () => {
    await fetch(`${t.issuer}/auth/uid-d41d8cd98f00b204`);
    await fetch(`${t.issuer}/no/such/path/e9800998ecf8427e`);
    await fetch(`${t.issuer}/healthz`);

    await eventually(t, (samples) => {
      const count = (route: string, status: string) =>
        sampleValue(samples, 'tessera_http_requests_total', { method: 'GET', route, status });
      expect(count('/healthz', '200')).toBeGreaterThanOrEqual(1);
      expect(count('/auth/:uid', '400')).toBeGreaterThanOrEqual(1);
      expect(count('unmatched', '404')).toBeGreaterThanOrEqual(1);
    });
    const text = await (await fetch(`${t.issuer}/metrics`)).text();
    expect(text).not.toContain('d41d8cd98f00b204');
    expect(text).not.toContain('e9800998ecf8427e');
  });

  it('observes request latency per route in a histogram', async () => {
    await oidc.clientCredentialsGrant(rp, { scope: 'tessera:admin' });
    await eventually(t, (samples) => {
      const labels = { method: 'POST', route: '/token' };
      const count = sampleValue(samples, 'tessera_http_request_duration_seconds_count', labels);
      expect(count).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(samples, 'tessera_http_request_duration_seconds_bucket', {
          ...labels,
          le: '+Inf',
        }),
      ).toBe(count);
    });
  });

  it('counts issued tokens by grant type', async () => {
    const labels = { grant_type: 'client_credentials' };
    const before = sampleValue(await scrape(t.issuer), 'tessera_tokens_issued_total', labels) ?? 0;
    await oidc.clientCredentialsGrant(rp, { scope: 'tessera:admin' });
    await oidc.clientCredentialsGrant(rp, { scope: 'tessera:admin' });
    expect(sampleValue(await scrape(t.issuer), 'tessera_tokens_issued_total', labels)).toBe(
      before + 2,
    );
  });

  it('counts token refusals by grant type and OAuth error code', async () => {
    const wrongSecret = await relyingParty(t, { ...client, clientSecret: 'not-the-secret' });
    expect((await refusal(oidc.clientCredentialsGrant(wrongSecret, {}))).error).toBe(
      'invalid_client',
    );
    // A grant type the client invents is reported as "other": clients cannot mint label values.
    const invented = await postForm(`${t.issuer}/token`, 'grant_type=urn:example:invented:42', {
      authorization: basicAuth(client.clientId, client.clientSecret),
    });
    expect(invented.body.error).toBe('unsupported_grant_type');

    const samples = await scrape(t.issuer);
    expect(
      sampleValue(samples, 'tessera_token_errors_total', {
        grant_type: 'client_credentials',
        error: 'invalid_client',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(samples, 'tessera_token_errors_total', {
        grant_type: 'other',
        error: 'unsupported_grant_type',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(samples.some((sample) => JSON.stringify(sample.labels).includes('invented'))).toBe(
      false,
    );
  });

  it('reports the signing keys this replica has loaded and how long each has been in its state', async () => {
    const samples = await scrape(t.issuer);
    for (const alg of ['RS256', 'ES256']) {
      expect(sampleValue(samples, 'tessera_signing_keys', { alg, state: 'current' })).toBe(1);
      expect(sampleValue(samples, 'tessera_signing_keys', { alg, state: 'retired' })).toBe(0);
      const age = sampleValue(samples, 'tessera_signing_key_age_seconds', {
        alg,
        state: 'current',
      });
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(600);
    }
  });

  it('exposes the sign-in and outbox metrics the other components record into', async () => {
    const names = new Set((await scrape(t.issuer)).map((sample) => sample.name));
    for (const name of [
      'tessera_lockouts_total',
      'tessera_outbox_published_total',
      'tessera_outbox_publish_errors_total',
    ]) {
      expect(names).toContain(name);
    }
  });
});

describe('GET /metrics with TESSERA_METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef0123456789abcdef';
  let t: TestTessera;
  beforeAll(async () => {
    t = await startTestTessera({ TESSERA_METRICS_TOKEN: token });
  });
  afterAll(() => t.stop());

  it('refuses a scrape without the token with 401 and a Bearer challenge', async () => {
    const response = await fetch(`${t.issuer}/metrics`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.text()).not.toContain('process_cpu');
  });

  it('refuses a scrape with another token', async () => {
    const response = await fetch(`${t.issuer}/metrics`, {
      headers: { authorization: `Bearer ${token.slice(0, -1)}x` },
    });
    expect(response.status).toBe(401);
  });

  it('serves a scrape that presents the token', async () => {
    const samples = await scrape(t.issuer, { authorization: `Bearer ${token}` });
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('leaves the probes open', async () => {
    expect((await fetch(`${t.issuer}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.issuer}/readyz`)).status).toBe(200);
  });
});

describe('store failures', () => {
  it('are counted by port and operation', async () => {
    const t = await startTestTessera();
    try {
      await t.tessera.storage.close();
      expect((await fetch(`${t.issuer}/readyz`)).status).toBe(503);
      const samples = await scrape(t.issuer);
      expect(
        sampleValue(samples, 'tessera_store_errors_total', {
          port: 'storage',
          operation: 'ping',
          kind: 'failed',
        }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await t.stop();
    }
  });
});
