import { describe, expect, it, vi } from 'vitest';

import { createMetrics } from '../../src/metrics/create-metrics.ts';
import type { SigningKeyRecord } from '../../src/ports/signing-keys.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.ts';

const samplesOf = async (metrics: ReturnType<typeof createMetrics>) =>
  parsePrometheusText(await metrics.registry.metrics());

const key = (overrides: Partial<SigningKeyRecord>): SigningKeyRecord => ({
  kid: 'k',
  alg: 'ES256',
  state: 'current',
  generation: 'g',
  publicJwk: {},
  privateKey: { kekId: 'x', iv: '', ciphertext: '', tag: '' },
  createdAt: 0,
  activatedAt: undefined,
  retiredAt: undefined,
  ...overrides,
});

describe('the metrics registry', () => {
  it('is one per instance: what one Tessera records does not show in another', async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.tokens.issued('client_credentials');
    const labels = { grant_type: 'client_credentials' };
    expect(sampleValue(await samplesOf(first), 'tessera_tokens_issued_total', labels)).toBe(1);
    expect(sampleValue(await samplesOf(second), 'tessera_tokens_issued_total', labels)).toBe(
      undefined,
    );
  });

  it('counts sign-ins by result and lockouts (hooks for the sign-in flow)', async () => {
    const metrics = createMetrics();
    metrics.logins.succeeded();
    metrics.logins.failed('invalid_credentials');
    metrics.logins.failed('invalid_credentials');
    metrics.logins.failed('locked');
    metrics.logins.lockedOut();
    const samples = await samplesOf(metrics);
    const logins = (result: string) => sampleValue(samples, 'tessera_logins_total', { result });
    expect(logins('succeeded')).toBe(1);
    expect(logins('invalid_credentials')).toBe(2);
    expect(logins('locked')).toBe(1);
    expect(sampleValue(samples, 'tessera_lockouts_total')).toBe(1);
  });

  it('reads the outbox backlog at scrape time, so its age grows while a relay is stuck', async () => {
    const clock = createTestClock(1_000_000);
    const metrics = createMetrics({ clock });
    const oldestPendingAt = clock();
    metrics.outbox.trackBacklog(async () => ({ pending: 7, oldestPendingAt }));

    clock.advance(30_000);
    let samples = await samplesOf(metrics);
    expect(sampleValue(samples, 'tessera_outbox_pending_events')).toBe(7);
    expect(sampleValue(samples, 'tessera_outbox_oldest_pending_age_seconds')).toBe(30);

    clock.advance(60_000);
    samples = await samplesOf(metrics);
    expect(sampleValue(samples, 'tessera_outbox_oldest_pending_age_seconds')).toBe(90);
  });

  it('reports an age of 0 when nothing is pending', async () => {
    const metrics = createMetrics();
    metrics.outbox.trackBacklog(async () => ({ pending: 0, oldestPendingAt: undefined }));
    const samples = await samplesOf(metrics);
    expect(sampleValue(samples, 'tessera_outbox_pending_events')).toBe(0);
    expect(sampleValue(samples, 'tessera_outbox_oldest_pending_age_seconds')).toBe(0);
  });

  it('keeps the last backlog values when reading it fails or hangs, and still answers', async () => {
    const clock = createTestClock(1_000_000);
    const metrics = createMetrics({ clock, backlogTimeoutMs: 50 });
    const readings: (() => Promise<{ pending: number; oldestPendingAt: number }>)[] = [
      async () => ({ pending: 3, oldestPendingAt: clock() }),
      async () => {
        throw new Error('store down');
      },
      () => new Promise(() => undefined),
    ];
    let call = 0;
    metrics.outbox.trackBacklog(() => readings[Math.min(call++, readings.length - 1)]!());

    await samplesOf(metrics);
    let samples = await samplesOf(metrics);
    expect(sampleValue(samples, 'tessera_outbox_pending_events')).toBe(3);

    // The hanging read: the scrape answers once the backlog timeout has passed on fake time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let answered: string | undefined;
      const scrape = metrics.registry.metrics().then((text) => (answered = text));
      await vi.advanceTimersByTimeAsync(49);
      expect(answered).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      samples = parsePrometheusText(await scrape);
    } finally {
      vi.useRealTimers();
    }
    expect(sampleValue(samples, 'tessera_outbox_pending_events')).toBe(3);
    expect(call).toBe(3);
  });

  it('reads the backlog once per scrape for both gauges', async () => {
    const metrics = createMetrics();
    let reads = 0;
    metrics.outbox.trackBacklog(async () => {
      reads += 1;
      return { pending: 1, oldestPendingAt: Date.now() };
    });
    await metrics.registry.metrics();
    expect(reads).toBe(1);
  });

  it('counts published events and publish errors (hooks for the relay)', async () => {
    const metrics = createMetrics();
    metrics.outbox.published(5);
    metrics.outbox.published(2);
    metrics.outbox.publishFailed();
    const samples = await samplesOf(metrics);
    expect(sampleValue(samples, 'tessera_outbox_published_total')).toBe(7);
    expect(sampleValue(samples, 'tessera_outbox_publish_errors_total')).toBe(1);
  });

  it('reports, per algorithm and state, the key count and the newest key’s time in its state', async () => {
    const clock = createTestClock(10_000_000);
    const metrics = createMetrics({ clock });
    const now = clock();
    metrics.keys.trackKeys(() => [
      key({ kid: 'a', state: 'current', createdAt: now - 900_000, activatedAt: now - 300_000 }),
      key({ kid: 'b', state: 'next', createdAt: now - 60_000 }),
      key({ kid: 'c', state: 'retired', createdAt: now - 5_000_000, retiredAt: now - 400_000 }),
      key({ kid: 'd', state: 'retired', createdAt: now - 4_000_000, retiredAt: now - 100_000 }),
    ]);
    const samples = await samplesOf(metrics);
    const age = (state: string) =>
      sampleValue(samples, 'tessera_signing_key_age_seconds', { alg: 'ES256', state });
    expect(age('current')).toBe(300);
    expect(age('next')).toBe(60);
    expect(age('retired')).toBe(100);
    expect(sampleValue(samples, 'tessera_signing_keys', { alg: 'ES256', state: 'retired' })).toBe(
      2,
    );
    expect(sampleValue(samples, 'tessera_signing_keys', { alg: 'RS256', state: 'current' })).toBe(
      0,
    );
  });
});
