import { randomUUID } from 'node:crypto';

import { Kafka, logLevel, type Consumer } from 'kafkajs';

import { installKafkajsIdleLoopFix } from '../../adapters/kafka/kafkajs-idle-loop-fix.ts';
import { PATIENCE_MS } from './patience.ts';

/** One message as a consumer received it. */
export interface ReceivedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  readonly value: string;
  readonly headers: Record<string, string>;
  /** The CloudEvent id, read from the value. */
  readonly id: string;
}

export interface EventCollector {
  readonly messages: ReceivedMessage[];
  /**
   * Resolves once `predicate` holds for the messages so far; rejects after `timeoutMs`, which
   * only bounds a failing test.
   */
  until(predicate: (messages: ReceivedMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const kafkaOf = (brokers: string) => {
  // The same kafkajs timer fix Tessera runs with: no 1 ms loop, no TimeoutNegativeWarning.
  installKafkajsIdleLoopFix();
  return new Kafka({
    clientId: 'tessera-tests',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
};

/** A fresh topic name, created with `partitions` partitions (so per-key order means something). */
export async function createTopic(brokers: string, partitions = 3): Promise<string> {
  const topic = `tessera-events-${randomUUID()}`;
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Reads `topic` from the beginning in a group of its own, collecting every message. */
export async function collectEvents(brokers: string, topic: string): Promise<EventCollector> {
  const messages: ReceivedMessage[] = [];
  // disconnect() waits for the in-flight long poll; the 5 s default would idle the tests.
  const consumer: Consumer = kafkaOf(brokers).consumer({
    groupId: `tessera-tests-${randomUUID()}`,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const value = message.value?.toString('utf8') ?? '';
      messages.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8'),
        value,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, header]) => [name, String(header)]),
        ),
        id: (JSON.parse(value) as { id: string }).id,
      });
    },
  });
  return {
    messages,
    async until(predicate, timeoutMs = PATIENCE_MS) {
      const deadline = performance.now() + timeoutMs;
      while (!predicate(messages)) {
        if (performance.now() > deadline) {
          throw new Error(
            `events did not arrive within ${timeoutMs} ms (${messages.length} so far)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: () => consumer.disconnect(),
  };
}

/** How what a consumer received compares with what the outbox recorded. */
export interface DeliveryReport {
  /** Recorded events no message carried. */
  readonly missing: string[];
  /** Messages whose id the outbox never recorded. */
  readonly unknown: string[];
  /** Messages received more than once (same id). */
  readonly duplicates: number;
  /** Ids received more than once with different contents. */
  readonly conflicting: string[];
  /** Keys whose events arrived (first copies, in partition order) out of outbox order. */
  readonly outOfOrderKeys: string[];
}

export function compareDelivery(
  recorded: readonly { id: string; key: string; sequence: number }[],
  messages: readonly ReceivedMessage[],
): DeliveryReport {
  const recordedIds = new Set(recorded.map((event) => event.id));
  const firstCopies = new Map<string, ReceivedMessage>();
  let duplicates = 0;
  const conflicting = new Set<string>();
  for (const message of messages) {
    const first = firstCopies.get(message.id);
    if (!first) firstCopies.set(message.id, message);
    else {
      duplicates += 1;
      if (first.value !== message.value || first.key !== message.key) conflicting.add(message.id);
    }
  }
  const outOfOrderKeys: string[] = [];
  const keys = new Set(recorded.map((event) => event.key));
  for (const key of keys) {
    const expected = recorded
      .filter((event) => event.key === key)
      .sort((a, b) => a.sequence - b.sequence)
      .map((event) => event.id);
    const seen = new Set<string>();
    const arrived = messages
      .filter((message) => message.key === key && recordedIds.has(message.id))
      .flatMap((message) => (seen.has(message.id) ? [] : (seen.add(message.id), [message.id])));
    if (arrived.join() !== expected.join()) outOfOrderKeys.push(key);
  }
  return {
    missing: [...recordedIds].filter((id) => !firstCopies.has(id)),
    unknown: [...firstCopies.keys()].filter((id) => !recordedIds.has(id)),
    duplicates,
    conflicting: [...conflicting],
    outOfOrderKeys,
  };
}
