import { Kafka, logLevel } from 'kafkajs';

import { installKafkajsIdleLoopFix } from '../../adapters/kafka/kafkajs-idle-loop-fix.ts';
import { assertTcpAccepts } from './ports.ts';

/**
 * Throws until the broker serves metadata and both coordinators have loaded.
 *
 * Answering metadata is not enough: right after a (re)start the group and transaction
 * coordinators report COORDINATOR_LOAD_IN_PROGRESS, so the first consumer group join or
 * idempotent producer would crash-and-retry inside the test instead of here.
 */
export async function assertKafkaReady(brokers: string, port: number): Promise<void> {
  // Without this, kafkajs spends its connection timeout on a port nobody listens on yet.
  await assertTcpAccepts(port);
  // The same kafkajs timer fix Tessera runs with: no 1 ms loop, no TimeoutNegativeWarning.
  installKafkajsIdleLoopFix();
  const kafka = new Kafka({
    clientId: 'tessera-test-services',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    // The caller polls; kafkajs's own retries would only hide which step is not ready.
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  // kafkajs rejects an idempotent producer configured without retries.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: 1 },
  });
  try {
    await admin.connect();
    await admin.listTopics();
    // Finds the group coordinator and fails while its partition is loading.
    await admin.describeGroups(['tessera-readiness']);
    // An idempotent producer's connect sends InitProducerId to the transaction coordinator.
    await producer.connect();
  } finally {
    await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
  }
}
