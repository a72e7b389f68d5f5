import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { envSchema } from '../../src/config/env-schema.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  stop_grace_period?: string;
  volumes?: string[];
}

const compose = parse(
  readFileSync(resolve(import.meta.dirname, '../../docker-compose.yml'), 'utf8'),
) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const { mongodb, kafka, tessera } = compose.services;

/** Compose's `${NAME:-default}` interpolation, with nothing set in the environment. */
const interpolate = (value: string | number) =>
  String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, (_, fallback: string) => fallback);

const tesseraEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(tessera!.environment ?? {}).map(([key, value]) => [key, interpolate(value)]),
  );

describe('docker-compose.yml', () => {
  it('defines MongoDB, Kafka and Tessera', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'mongodb', 'tessera']);
  });

  it('pins every image to a version', () => {
    expect(mongodb!.image).toMatch(/^mongo:\d+\.\d+/);
    expect(kafka!.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
  });

  it('runs MongoDB as a replica set that its health check initiates', () => {
    expect(mongodb!.command).toEqual(['mongod', '--replSet', 'rs0', '--bind_ip_all']);
    const check = mongodb!.healthcheck!.test.join(' ');
    expect(check).toContain(
      "rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongodb:27017' }] })",
    );
    expect(check).toContain('isWritablePrimary');
    expect(mongodb!.volumes).toContain('mongodb-data:/data/db');
  });

  it('runs Kafka as a single KRaft node advertising the address Tessera uses', () => {
    const env = kafka!.environment!;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe('1@kafka:9093');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${tesseraEnv().KAFKA_BROKERS}`);
    expect(kafka!.healthcheck!.test.join(' ')).toContain('kafka-topics.sh');
  });

  it('wires Tessera to both and starts it only once both are healthy', () => {
    expect(tessera!.build).toBe('.');
    expect(tessera!.depends_on).toEqual({
      mongodb: { condition: 'service_healthy' },
      kafka: { condition: 'service_healthy' },
    });
    const env = tesseraEnv();
    const uri = new URL(env.MONGODB_URI!);
    expect(uri.host).toBe('mongodb:27017');
    expect(uri.searchParams.get('replicaSet')).toBe('rs0');
    expect(env.KAFKA_BROKERS).toBe('kafka:9092');
    expect(env.HOST).toBe('0.0.0.0');
    expect(tessera!.ports).toEqual(['3000:3000']);
    expect(tessera!.healthcheck!.test).toEqual(['CMD', 'node', 'dist/src/healthcheck.js']);
  });

  it('sets only variables Tessera knows, and they form a valid configuration', () => {
    const known = new Set(Object.keys(envSchema.shape));
    expect(Object.keys(tesseraEnv()).filter((key) => !known.has(key))).toEqual([]);
    // Secrets given, as a .env would: otherwise development secrets go into the data dir.
    const config = loadConfig({ ...tesseraEnv(), ...testSecrets() });
    expect(config.storage.kind).toBe('mongodb');
    expect(config.kafka?.brokers).toEqual(['kafka:9092']);
  });

  it('gives Tessera longer to stop than its delay plus drain plus shutdown steps', () => {
    const env = tesseraEnv();
    const graceMs = Number.parseInt(tessera!.stop_grace_period!, 10) * 1000;
    expect(graceMs).toBeGreaterThan(
      Number(env.TESSERA_SHUTDOWN_DELAY_MS) + 2 * Number(env.TESSERA_SHUTDOWN_TIMEOUT_MS),
    );
  });
});
