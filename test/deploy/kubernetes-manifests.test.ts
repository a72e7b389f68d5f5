import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { ConfigError } from '../../src/config/config-error.ts';
import { envSchema } from '../../src/config/env-schema.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

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

  it('probes /healthz for startup and liveness and /readyz for readiness, on the named port', () => {
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(configData.PORT).toBe('3000');
  });

  it('requests and limits CPU and memory', () => {
    expect(container.resources.requests).toEqual({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources.limits).toEqual({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
  });

  it('runs as the image’s non-root user on a read-only root filesystem, without privileges', () => {
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    const dockerfile = readFileSync(resolve(DIR, '../../Dockerfile'), 'utf8');
    expect(dockerfile).toContain('USER 1000:1000');
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
    expect(service.spec.ports[0].targetPort).toBe('http');
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
    const known = new Set(Object.keys(envSchema.shape));
    const keys = [...Object.keys(configData), ...Object.keys(secretData)];
    expect(keys.filter((key) => !known.has(key))).toEqual([]);
    expect(secret.data).toBeUndefined();
  });

  it('keeps every secret, the Kafka SASL password included, in the Secret and none in the ConfigMap', () => {
    const secrets = [
      'TESSERA_KEY_ENCRYPTION_KEY',
      'TESSERA_COOKIE_KEYS',
      'TESSERA_SECRET_PEPPER',
      'TESSERA_METRICS_TOKEN',
      'MONGODB_URI',
      'KAFKA_SASL_PASSWORD',
    ];
    expect(Object.keys(secretData).sort()).toEqual([...secrets].sort());
    expect(Object.keys(configData).filter((key) => secrets.includes(key))).toEqual([]);
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
