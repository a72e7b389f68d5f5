import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { loadConfig } from '../../src/config/load-config.ts';
import { healthcheckUrl } from '../../src/healthcheck.ts';
import { testSecrets } from '../helpers/test-tessera.ts';
import {
  envOf,
  execForm,
  instructionsOf,
  KNOWN_VARIABLES,
  readDockerfile,
  readRepoFile,
  SECRET_VARIABLES,
  statusesOfRunningTessera,
} from './deploy-files.ts';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  stop_grace_period?: string;
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
  volumes?: string[];
}

const compose = parse(readRepoFile('docker-compose.yml')) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const { mongodb, kafka, tessera } = compose.services;

/** Compose's `${NAME:-default}` interpolation, with nothing set in the environment. */
const interpolate = (value: string | number) =>
  String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, (_, fallback: string) => fallback);

const tesseraEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(tessera!.environment ?? {}).map(([key, value]) => [key, interpolate(value)]),
  );

/** `host:container` port mappings as numbers. */
const portMappings = (service: ComposeService) =>
  (service.ports ?? []).map((mapping) => {
    const [host, container] = mapping.split(':').map(Number);
    return { host, container };
  });

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
  });

  it('publishes the port Tessera listens on, on every interface of its container', () => {
    const env = tesseraEnv();
    expect(env.HOST).toBe('0.0.0.0');
    expect(portMappings(tessera!)).toEqual([{ host: 3000, container: Number(env.PORT) }]);
  });

  describe("Tessera's health check", () => {
    const url = new URL(healthcheckUrl(tesseraEnv()));
    let statuses: Record<string, number>;
    beforeAll(async () => {
      statuses = await statusesOfRunningTessera([url.pathname]);
    });

    it("runs the image's own health check, which asks a route Tessera answers on its port", () => {
      const [imageCheck] = instructionsOf(readDockerfile().stage('runtime'), 'HEALTHCHECK');
      expect(tessera!.healthcheck!.test).toEqual(['CMD', ...execForm(imageCheck!, 'CMD')]);
      expect(Number(url.port)).toBe(Number(tesseraEnv().PORT));
      expect(statuses[url.pathname]).toBe(200);
    });
  });

  it("runs as the image's non-root user, on a read-only root filesystem, writing only its data volume", () => {
    const runtime = readDockerfile().stage('runtime');
    expect(tessera!.build).toBe('.');
    expect(tessera!.user).toBeUndefined();
    expect(tessera!.read_only).toBe(true);
    expect(tessera!.tmpfs).toEqual(['/tmp']);
    const dataDir = tesseraEnv().TESSERA_DATA_DIR;
    expect(dataDir).toBe(envOf(runtime).TESSERA_DATA_DIR);
    expect(tessera!.volumes).toEqual([`tessera-data:${dataDir}`]);
    expect(Object.keys(compose.volumes)).toContain('tessera-data');
  });

  it('takes every secret from the environment (.env), never from a value in the file', () => {
    const raw = tessera!.environment ?? {};
    for (const name of SECRET_VARIABLES.filter((variable) => variable in raw)) {
      if (name === 'MONGODB_URI') {
        // The laptop's MongoDB has no users: a URI without credentials is no secret.
        const uri = new URL(String(raw[name]));
        expect([uri.username, uri.password], name).toEqual(['', '']);
      } else {
        expect(raw[name], name).toBe(`\${${name}:-}`);
      }
    }
  });

  it('sets only variables Tessera knows, and they form a valid configuration', () => {
    expect(Object.keys(tesseraEnv()).filter((key) => !KNOWN_VARIABLES.has(key))).toEqual([]);
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
