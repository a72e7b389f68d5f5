import type { Logger } from 'pino';

import type { Config, KafkaConfig } from '../config/config.ts';
import type { EventPublisher } from '../ports/event-publisher.ts';
import type { OutboxMetrics } from '../metrics/create-metrics.ts';
import type { Storage } from '../ports/storage.ts';
import { createOutboxRelay, type OutboxRelay } from '../relay/outbox-relay.ts';

export interface OpenRelayDeps {
  readonly storage: Storage;
  readonly metrics: OutboxMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
  /** This process's lease-holder id. */
  readonly holderId: string;
  /** From loadPublisherFactory: undefined without KAFKA_BROKERS. */
  readonly createPublisher: PublisherFactory | undefined;
}

export type PublisherFactory = (config: KafkaConfig, logger: Logger) => EventPublisher;

/**
 * The Kafka publisher's factory, imported only when KAFKA_BROKERS names brokers: kafkajs costs a
 * replica without Kafka idle memory it would never use (docs/benchmarks.md "Performance").
 */
export async function loadPublisherFactory(config: Config): Promise<PublisherFactory | undefined> {
  if (!config.kafka) return undefined;
  const { createKafkaPublisher } = await import('../../adapters/kafka/kafka-publisher.ts');
  return createKafkaPublisher;
}

/**
 * The relay the configuration names: to Kafka when KAFKA_BROKERS is set; none otherwise, and
 * events then stay in the outbox (`tessera events list`) until the retention prunes them.
 * Not started: the composition root starts it once the server is up.
 */
export function openRelay(config: Config, deps: OpenRelayDeps): OutboxRelay | undefined {
  if (!config.kafka || !deps.createPublisher) return undefined;
  const logger = deps.logger.child({ component: 'outbox-relay' });
  return createOutboxRelay(
    {
      outbox: deps.storage.outbox,
      leases: deps.storage.leases,
      publisher: deps.createPublisher(config.kafka, logger),
      metrics: deps.metrics,
      logger,
      clock: deps.clock,
      holderId: `${deps.holderId}/relay`,
    },
    {
      settleMs: config.outbox.settleMs,
      pollIntervalMs: config.outbox.pollIntervalMs,
      retentionMs: config.outbox.retentionMs,
    },
  );
}
