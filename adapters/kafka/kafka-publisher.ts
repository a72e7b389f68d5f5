import { Kafka, logLevel, Partitioners, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from 'pino';

import type { EventPublisher, PublishedMessage } from '../../src/ports/event-publisher.ts';
import { buildKafkaClientOptions, type KafkaConnection } from './kafka-client-options.ts';
import { installKafkajsIdleLoopFix } from './kafkajs-idle-loop-fix.ts';

export interface KafkaPublisherOptions {
  /** A publish that has not been acknowledged by then is abandoned and reported as failed. */
  readonly sendTimeoutMs?: number;
}

/**
 * kafkajs logs every refused connection at ERROR while a broker is away; the relay reports the
 * failures it acts on itself (rate-limited), so kafkajs's own lines go to debug.
 */
function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ namespace, log }: LogEntry) => {
      const { message, ...extra } = log;
      logger.debug({ kafkajs: namespace, ...extra, timestamp: undefined }, message);
    };
}

/**
 * Publishes to one Kafka topic with kafkajs: an idempotent producer (KIP-98: the broker drops
 * the duplicates its own retries would create), acks=all (-1: every in-sync replica has the
 * batch), one request in flight (keeps order per partition across retries), and the Java
 * client's murmur2 key partitioner, so one key always lands on the partition a Java or librdkafka
 * producer would pick.
 *
 * kafkajs cannot cancel a send. A send that outlives `sendTimeoutMs` (Kafka slow or away) is
 * abandoned by disconnecting its producer, which fails whatever is in flight, and the next
 * publish connects a fresh one; the same happens after any failure, so a producer whose
 * idempotence state a broker restart invalidated is never reused.
 */
export function createKafkaPublisher(
  config: KafkaConnection & { readonly topic: string },
  logger: Logger,
  options: KafkaPublisherOptions = {},
): EventPublisher {
  const sendTimeoutMs = options.sendTimeoutMs ?? 5_000;
  installKafkajsIdleLoopFix();
  const kafka = new Kafka(
    buildKafkaClientOptions(config, {
      connectionTimeout: 3_000,
      requestTimeout: sendTimeoutMs,
      logLevel: logLevel.INFO,
      logCreator: kafkaLogCreator(logger.child({ component: 'kafka' })),
    }),
  );
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let closed = false;

  const connected = (): Promise<Producer> => {
    if (closed) return Promise.reject(new Error('the Kafka publisher is closed'));
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const fresh = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // Retries: the client's short ones (kafka-client-options.ts), which kafka.producer inherits.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      try {
        await fresh.connect();
      } catch (error) {
        void fresh.disconnect().catch(() => undefined);
        throw error;
      }
      if (closed) {
        void fresh.disconnect().catch(() => undefined);
        throw new Error('the Kafka publisher is closed');
      }
      producer = fresh;
      return fresh;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const discard = (stale: Producer | undefined) => {
    if (stale && producer === stale) producer = undefined;
    void stale?.disconnect().catch(() => undefined);
  };

  return {
    async publish(messages: readonly PublishedMessage[]) {
      let timer: NodeJS.Timeout | undefined;
      let used: Producer | undefined;
      const send = (async () => {
        used = await connected();
        await used.send({
          topic: config.topic,
          acks: -1,
          messages: messages.map((message) => ({
            key: message.key,
            value: message.value,
            headers: { ...message.headers },
          })),
        });
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Kafka did not acknowledge within ${sendTimeoutMs} ms`)),
          sendTimeoutMs,
        );
      });
      try {
        await Promise.race([send, timeout]);
      } catch (error) {
        send.catch(() => undefined);
        discard(used ?? producer);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },

    /** Disconnects; a connection attempt still under way disconnects itself when it ends. */
    async close() {
      closed = true;
      const current = producer;
      producer = undefined;
      await current?.disconnect().catch(() => undefined);
    },
  };
}
