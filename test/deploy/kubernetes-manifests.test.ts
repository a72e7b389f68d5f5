import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { findFreePort } from '../../scripts/test-services/ports.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { startTestTessera, testSecrets, type TestTessera } from '../helpers/test-tessera.ts';
import {
  KNOWN_VARIABLES,
  readDockerfile,
  SECRET_VARIABLES,
  statusesOfRunningTessera,
  userOf,
} from './deploy-files.ts';

const DIR = resolve(import.meta.dirname, '../../deploy/kubernetes');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are checked field by field
type Manifest = Record<string, any>;
const load = (file: string) => parse(readFileSync(resolve(DIR, file), 'utf8')) as Manifest;

const kustomization = load('kustomization.yaml');
const manifests = (kustomization.resources as string[]).map(load);
const byKind = (kind: string) => {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

const deployment = byKind('Deployment');
const configMap = byKind('ConfigMap');
const secret = byKind('Secret');
const configData = configMap.data as Record<string, string>;
const secretData = secret.stringData as Record<string, string>;
const minReplicas = byKind('HorizontalPodAutoscaler').spec.minReplicas as number;
const pod = deployment.spec.template;
const container = pod.spec.containers[0];
const probes = {
  startup: container.startupProbe.httpGet as { path: string; port: string },
  liveness: container.livenessProbe.httpGet as { path: string; port: string },
  readiness: container.readinessProbe.httpGet as { path: string; port: string },
};

/** A container port by name (what probes and the Service's targetPort refer to). */
const containerPort = (name: string) =>
  (container.ports as { name: string; containerPort: number }[]).find((port) => port.name === name)
    ?.containerPort;

/** A Kubernetes quantity ("250m", "1", "512Mi") as a number of cores or bytes. */
function quantity(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(value);
  if (!match) throw new Error(`not a quantity this test reads: ${value}`);
  const factor = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * factor;
}

describe('deploy/kubernetes', () => {
  it('lists one of each resource, with the stable API versions', () => {
    expect(
      Object.fromEntries(manifests.map((manifest) => [manifest.kind, manifest.apiVersion])),
    ).toEqual({
      ConfigMap: 'v1',
      Secret: 'v1',
      Deployment: 'apps/v1',
      Service: 'v1',
      PodDisruptionBudget: 'policy/v1',
      HorizontalPodAutoscaler: 'autoscaling/v2',
    });
  });

  it('points every probe and the scrape annotation at the port Tessera listens on', () => {
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    for (const probe of Object.values(probes)) {
      expect(containerPort(probe.port)).toBe(Number(configData.PORT));
    }
    const annotations = pod.metadata.annotations as Record<string, string>;
    expect(Number(annotations['prometheus.io/port'])).toBe(Number(configData.PORT));
  });

  describe('the probes against a running Tessera', () => {
    let ready: Record<string, number>;
    let backlogged: TestTessera;
    beforeAll(async () => {
      const paths = [...Object.values(probes).map((probe) => probe.path)];
      ready = await statusesOfRunningTessera(paths);
      // Not ready (an outbox backlog above its limit while Kafka is away), yet alive.
      backlogged = await startTestTessera({
        KAFKA_BROKERS: `127.0.0.1:${await findFreePort()}`,
        TESSERA_OUTBOX_MAX_BACKLOG: '1',
      });
      // Each creation records an event; readiness reads the backlog as it answers.
      for (const name of ['one', 'two']) {
        await backlogged.tessera.clients.create({ name, metadata: {} });
      }
    });
    afterAll(() => backlogged?.stop());

    const statusAt = async (t: TestTessera, path: string) => {
      const response = await fetch(new URL(path, t.issuer));
      await response.body?.cancel();
      return response.status;
    };

    it('asks routes a ready Tessera answers with 200', () => {
      for (const probe of Object.values(probes)) expect(ready[probe.path], probe.path).toBe(200);
    });

    it('takes a Tessera that cannot serve out of the Service without restarting it', async () => {
      expect(await statusAt(backlogged, probes.readiness.path)).toBe(503);
      expect(await statusAt(backlogged, probes.liveness.path)).toBe(200);
      expect(await statusAt(backlogged, probes.startup.path)).toBe(200);
    });

    it('scrapes a route that answers with the metrics token the Secret holds', async () => {
      const path = pod.metadata.annotations['prometheus.io/path'] as string;
      const token = testSecrets().TESSERA_SECRET_PEPPER;
      const statuses = await statusesOfRunningTessera(
        [path],
        { TESSERA_METRICS_TOKEN: token },
        { authorization: `Bearer ${token}` },
      );
      expect(statuses[path]).toBe(200);
      expect(Object.keys(secretData)).toContain('TESSERA_METRICS_TOKEN');
    });
  });

  it('requests CPU and memory, and limits both at or above the request', () => {
    const { requests, limits } = container.resources as Record<string, Record<string, string>>;
    for (const resource of ['cpu', 'memory']) {
      expect(quantity(requests![resource]!), resource).toBeGreaterThan(0);
      expect(quantity(limits![resource]!), resource).toBeGreaterThanOrEqual(
        quantity(requests![resource]!),
      );
    }
  });

  it('runs as the image’s non-root user on a read-only root filesystem, without privileges', () => {
    const { uid, gid } = userOf(readDockerfile().stage('runtime'));
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: gid,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(uid).toBeGreaterThan(0);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  it('gives pods longer to stop than the shutdown delay plus the drain plus the shutdown steps', () => {
    const delayMs = Number(configData.TESSERA_SHUTDOWN_DELAY_MS);
    const timeoutMs = Number(configData.TESSERA_SHUTDOWN_TIMEOUT_MS);
    expect(delayMs).toBeGreaterThan(0);
    expect(pod.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(delayMs + 2 * timeoutMs);
  });

  it('rolls out without losing capacity and leaves the replica count to the autoscaler', () => {
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = byKind('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(minReplicas);
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
  });

  it('selects the same pods in the Deployment, Service and PodDisruptionBudget', () => {
    const labels = pod.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    const service = byKind('Service');
    expect(service.spec.selector).toEqual(labels);
    expect(containerPort(service.spec.ports[0].targetPort)).toBe(Number(configData.PORT));
    const pdb = byKind('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    // One replica may go while the autoscaler's minimum keeps the other serving.
    expect(pdb.spec.minAvailable).toBeLessThan(minReplicas);
  });

  it('takes its environment from the ConfigMap and the Secret, which name known variables only', () => {
    expect(container.envFrom).toEqual([
      { configMapRef: { name: configMap.metadata.name } },
      { secretRef: { name: secret.metadata.name } },
    ]);
    const keys = [...Object.keys(configData), ...Object.keys(secretData)];
    expect(keys.filter((key) => !KNOWN_VARIABLES.has(key))).toEqual([]);
    expect(container.env).toBeUndefined();
    expect(secret.data).toBeUndefined();
  });

  it('keeps every secret, the Kafka SASL password included, in the Secret and none in the ConfigMap', () => {
    expect(Object.keys(secretData).sort()).toEqual([...SECRET_VARIABLES].sort());
    expect(Object.keys(configData).filter((key) => SECRET_VARIABLES.includes(key))).toEqual([]);
    // The SASL user is not a secret; it sits beside its mechanism, over TLS.
    expect(configData).toMatchObject({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: expect.any(String),
      KAFKA_SASL_USERNAME: expect.any(String),
    });
  });

  /** The manifests' environment with real values where the Secret has placeholders. */
  const filledEnv = (): Record<string, string> => ({
    ...configData,
    ...secretData,
    ...testSecrets(),
    TESSERA_METRICS_TOKEN: testSecrets().TESSERA_SECRET_PEPPER,
    KAFKA_SASL_PASSWORD: 'the kafka password',
  });

  it('configures production mode behind a TLS-terminating proxy', () => {
    const config = loadConfig(filledEnv());
    expect(config.production).toBe(true);
    expect(config.http.issuer).toMatch(/^https:\/\//);
    expect(config.http.trustProxy).toBe(true);
    expect(config.storage.kind).toBe('mongodb');
    expect(config.kafka?.brokers.length).toBeGreaterThan(0);
    expect(config.kafka).toMatchObject({
      ssl: { ca: undefined },
      sasl: { mechanism: 'scram-sha-512', username: 'tessera', password: 'the kafka password' },
    });
  });

  it('ships placeholder secrets that Tessera refuses to start with', () => {
    const secrets = [
      'TESSERA_KEY_ENCRYPTION_KEY',
      'TESSERA_COOKIE_KEYS',
      'TESSERA_SECRET_PEPPER',
      'TESSERA_METRICS_TOKEN',
    ];
    expect(() => loadConfig(filledEnv())).not.toThrow();
    for (const variable of secrets) {
      expect(secretData[variable]).toBe('REPLACE-ME');
      const env = { ...filledEnv(), [variable]: secretData[variable]! };
      expect(() => loadConfig(env), variable).toThrow(ConfigError);
    }
    expect(secretData.MONGODB_URI).toContain('REPLACE-ME');
    // Empty, since any non-empty password would be accepted until Kafka refused it.
    expect(secretData.KAFKA_SASL_PASSWORD).toBe('');
    const withoutPassword = {
      ...filledEnv(),
      KAFKA_SASL_PASSWORD: secretData.KAFKA_SASL_PASSWORD!,
    };
    expect(() => loadConfig(withoutPassword)).toThrow('KAFKA_SASL_PASSWORD: required');
  });
});
