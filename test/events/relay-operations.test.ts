import { describe, expect, it } from 'vitest';

import { findFreePort } from '../../scripts/test-services/ports.ts';
import { collectEvents, createTopic } from '../helpers/kafka-events.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.ts';
import { kafkaBrokers } from '../helpers/services.ts';
import { startTestTessera } from '../helpers/test-tessera.ts';

const metricsOf = async (issuer: string) =>
  parsePrometheusText(await (await fetch(`${issuer}/metrics`)).text());

describe('outbox relay operations', () => {
  it('keeps events in the outbox and runs no relay without KAFKA_BROKERS', async () => {
    const t = await startTestTessera();
    try {
      expect(t.tessera.relay).toBeUndefined();
      await t.tessera.clients.create({ name: 'No Kafka', metadata: {} });
      const [event] = await t.tessera.storage.outbox.listRecent({ limit: 1 });
      expect(event).toMatchObject({ type: 'tessera.client.created', publishedAt: undefined });
      expect(await (await fetch(`${t.issuer}/readyz`)).json()).toEqual({ status: 'ready' });
    } finally {
      await t.stop();
    }
  });

  it('stays ready while Kafka refuses connections, reporting the backlog and counting failures', async () => {
    const t = await startTestTessera({
      KAFKA_BROKERS: `127.0.0.1:${await findFreePort()}`,
      TESSERA_OUTBOX_POLL_MS: '20',
    });
    try {
      await t.tessera.clients.create({ name: 'Queued', metadata: {} });
      await expect
        .poll(async () =>
          sampleValue(await metricsOf(t.issuer), 'tessera_outbox_publish_errors_total'),
        )
        .toBeGreaterThan(0);

      const ready = await fetch(`${t.issuer}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        outbox: { relay: 'failing', pending: 1 },
      });
      const samples = await metricsOf(t.issuer);
      expect(sampleValue(samples, 'tessera_outbox_pending_events')).toBe(1);
      expect(
        sampleValue(samples, 'tessera_outbox_oldest_pending_age_seconds'),
      ).toBeGreaterThanOrEqual(0);
      expect(sampleValue(samples, 'tessera_outbox_published_total')).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('turns /readyz to 503 only above TESSERA_OUTBOX_MAX_BACKLOG', async () => {
    const t = await startTestTessera({
      KAFKA_BROKERS: `127.0.0.1:${await findFreePort()}`,
      TESSERA_OUTBOX_MAX_BACKLOG: '2',
    });
    try {
      for (const name of ['one', 'two']) await t.tessera.clients.create({ name, metadata: {} });
      await expect.poll(async () => (await fetch(`${t.issuer}/readyz`)).status).toBe(200);
      await t.tessera.clients.create({ name: 'three', metadata: {} });
      await expect
        .poll(async () => (await fetch(`${t.issuer}/readyz`)).json())
        .toMatchObject({
          status: 'unavailable',
          reasons: ['outbox backlog 3 above TESSERA_OUTBOX_MAX_BACKLOG (2)'],
          outbox: { pending: 3 },
        });
    } finally {
      await t.stop();
    }
  });

  it('publishes what is pending when it stops, even before its next poll', async () => {
    const brokers = kafkaBrokers();
    const topic = await createTopic(brokers);
    const t = await startTestTessera({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      TESSERA_OUTBOX_POLL_MS: '60000',
    });
    const collector = await collectEvents(brokers, topic);
    try {
      await expect.poll(() => t.tessera.relay?.state()).toBe('publishing');
      const { client } = await t.tessera.clients.create({ name: 'Last words', metadata: {} });
      await t.stop();
      await collector.until((messages) =>
        messages.some((message) => message.key === client.clientId),
      );
    } finally {
      await collector.stop();
    }
  });
});
