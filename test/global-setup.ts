/**
 * Starts the services the tests talk to, once per run (docs/development.md#tests): FerretDB for the
 * MongoDB adapter and a single-node Kafka for the outbox. `MONGODB_URI` / `KAFKA_BROKERS` point
 * the run at services someone else manages instead. Tests read the addresses with
 * test/helpers/services.ts.
 */
import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';

import { startFerretDb } from '../scripts/test-services/ferretdb.ts';
import { startKafka } from '../scripts/test-services/kafka.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Empty when the run was started with TESSERA_TEST_SERVICES=none. */
    mongodbUri: string;
    /** `host:port[,host:port…]`; empty when the run was started with TESSERA_TEST_SERVICES=none. */
    kafkaBrokers: string;
  }
}

interface RunningService {
  address: string;
  stop: () => Promise<void>;
}

interface ServiceSpec {
  name: string;
  envVar: string;
  start: () => Promise<RunningService>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const inCi = process.env['CI'] === 'true';
  if (process.env['TESSERA_TEST_SERVICES'] === 'none') {
    if (inCi) {
      throw new Error(
        'TESSERA_TEST_SERVICES=none is not allowed when CI=true: CI runs every test.',
      );
    }
    // Opted out: tests that need a service fail with a hint (test/helpers/services.ts).
    project.provide('mongodbUri', process.env['MONGODB_URI'] ?? '');
    project.provide('kafkaBrokers', process.env['KAFKA_BROKERS'] ?? '');
    return () => Promise.resolve();
  }

  const specs: ServiceSpec[] = [
    { name: 'FerretDB', envVar: 'MONGODB_URI', start: startSharedFerretDb },
    { name: 'Kafka', envVar: 'KAFKA_BROKERS', start: startSharedKafka },
  ];
  const outcomes = await Promise.allSettled(specs.map((spec) => useOrStart(spec)));
  const running = outcomes.flatMap((outcome) =>
    outcome.status === 'fulfilled' ? [outcome.value] : [],
  );
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(running.map((service) => service.stop()));
  };

  const failures = outcomes.flatMap((outcome, index) =>
    outcome.status === 'rejected' ? [describeFailure(specs[index], outcome.reason)] : [],
  );
  if (failures.length > 0) {
    await teardown();
    const hint = inCi
      ? ''
      : '\n\nTo run without local services set TESSERA_TEST_SERVICES=none (tests that need them will fail), ' +
        'or point MONGODB_URI / KAFKA_BROKERS at running ones.';
    throw new Error(`Test services could not start:\n${failures.join('\n\n')}${hint}`);
  }

  const [mongodbUri = '', kafkaBrokers = ''] = outcomes.map((outcome) =>
    outcome.status === 'fulfilled' ? outcome.value.address : '',
  );
  project.provide('mongodbUri', mongodbUri);
  project.provide('kafkaBrokers', kafkaBrokers);
  return teardown;
}

async function useOrStart(spec: ServiceSpec): Promise<RunningService> {
  const given = process.env[spec.envVar];
  if (given !== undefined && given !== '') return { address: given, stop: () => Promise.resolve() };
  const startedAt = performance.now();
  const service = await spec.start();
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`test services: ${spec.name} at ${service.address} (up in ${seconds} s)`);
  return service;
}

async function startSharedFerretDb(): Promise<RunningService> {
  const ferretDb = await startFerretDb();
  return {
    address: ferretDb.uri,
    stop: async () => {
      await ferretDb.stop();
      await rm(ferretDb.dataDir, { recursive: true, force: true });
    },
  };
}

async function startSharedKafka(): Promise<RunningService> {
  const kafka = await startKafka();
  return {
    address: kafka.brokers,
    stop: async () => {
      await kafka.stop();
      await rm(kafka.dataDir, { recursive: true, force: true });
    },
  };
}

function describeFailure(spec: ServiceSpec | undefined, reason: unknown): string {
  const message = reason instanceof Error ? reason.message : String(reason);
  return `- ${spec?.name ?? 'service'} (or set ${spec?.envVar ?? 'its env var'}): ${message}`;
}
