import { inject } from 'vitest';

/** The MongoDB URI test/global-setup.ts provided; throws with a fix when the run has none. */
export function mongodbUri(): string {
  return requireProvided('mongodbUri', 'MongoDB', 'MONGODB_URI');
}

/** The Kafka bootstrap servers (`host:port[,…]`) test/global-setup.ts provided. */
export function kafkaBrokers(): string {
  return requireProvided('kafkaBrokers', 'Kafka', 'KAFKA_BROKERS');
}

function requireProvided(key: 'mongodbUri' | 'kafkaBrokers', name: string, envVar: string): string {
  const value = inject(key);
  if (value) return value;
  throw new Error(
    `This test needs ${name}, but the run has none (TESSERA_TEST_SERVICES=none). ` +
      `Unset TESSERA_TEST_SERVICES to let test/global-setup.ts start it, or set ${envVar}.`,
  );
}
