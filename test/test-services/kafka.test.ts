import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { installKafkajsIdleLoopFix } from '../../adapters/kafka/kafkajs-idle-loop-fix.ts';
import { kafkaBrokers } from '../helpers/services.ts';

describe('the Kafka test service', () => {
  const clients: (Admin | Producer | Consumer)[] = [];

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.disconnect()));
  });

  it('delivers a message from an idempotent producer to a consumer in a fresh group', async () => {
    const id = randomUUID();
    const topic = `smoke-${id}`;
    // The same kafkajs timer fix Tessera runs with: no 1 ms loop, no TimeoutNegativeWarning.
    installKafkajsIdleLoopFix();
    const kafka = new Kafka({
      clientId: 'tessera-smoke',
      brokers: kafkaBrokers().split(','),
      logLevel: logLevel.WARN,
    });
    const admin = kafka.admin();
    // Idempotence (KIP-98) needs acks=all and at most one in-flight request in kafkajs.
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    // disconnect() waits for the in-flight long poll; the 5 s default would idle the test.
    const consumer = kafka.consumer({ groupId: `smoke-${id}`, maxWaitTimeInMs: 250 });
    clients.push(admin, producer, consumer);

    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k1', value: 'hello' }] });

    const received: { key: string | undefined; value: string | undefined }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        received.push({ key: message.key?.toString(), value: message.value?.toString() });
        return Promise.resolve();
      },
    });

    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 20_000, interval: 100 });
    expect(received).toEqual([{ key: 'k1', value: 'hello' }]);
  });
});
