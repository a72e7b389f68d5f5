import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  startKafka,
  type KafkaHandle,
  type KafkaSaslSslEndpoint,
} from '../../scripts/test-services/kafka.ts';
import type { KafkaSaslMechanism } from '../../src/config/config.ts';
import { startExample } from '../helpers/example-consumer.ts';
import { collectEvents, compareDelivery, createTopic } from '../helpers/kafka-events.ts';
import { registerClient, relyingParty } from '../helpers/oauth-fixtures.ts';
import { createUser, registerAppClient, signInAndRedeem } from '../helpers/sign-in-fixtures.ts';
import { startTestTessera, testSecrets, type TestTessera } from '../helpers/test-tessera.ts';

const PUBLISH_FAILED = 'publishing outbox events failed; they wait in the outbox and are retried';

const failures = (t: TestTessera) => t.logs.filter((line) => line['msg'] === PUBLISH_FAILED);
const errorMessageOf = (line: Record<string, unknown> | undefined) =>
  (line?.['err'] as { message?: string } | undefined)?.message;

/**
 * Tessera's relay against the SASL_SSL listener of a real Kafka 4.1 (KRaft): TLS with a CA this
 * run generated, and one user for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. A private broker, not
 * the shared one, because CI points the shared one at a plaintext container (KAFKA_BROKERS).
 * Tests read the topic through the broker's PLAINTEXT listener.
 */
describe('the outbox relay over TLS and SASL (a real broker)', () => {
  let kafka: KafkaHandle;
  let endpoint: KafkaSaslSslEndpoint;

  beforeAll(async () => {
    kafka = await startKafka({ saslSsl: true });
    endpoint = kafka.saslSsl!;
  });
  afterAll(async () => {
    await kafka.stop();
    rmSync(kafka.dataDir, { recursive: true, force: true });
  });

  /** The variables an operator sets for this broker; `overrides` change or drop (undefined) one. */
  const kafkaEnv = (
    topic: string,
    mechanism: KafkaSaslMechanism,
    overrides: Record<string, string | undefined> = {},
  ): Record<string, string> => {
    const env: Record<string, string | undefined> = {
      KAFKA_BROKERS: endpoint.brokers,
      KAFKA_TOPIC: topic,
      KAFKA_CLIENT_ID: 'tessera-tls-test',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: endpoint.caFile,
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: endpoint.username,
      KAFKA_SASL_PASSWORD: endpoint.password,
      TESSERA_OUTBOX_POLL_MS: '50',
      // Stopping with a failing relay waits this long for a last flush.
      TESSERA_SHUTDOWN_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'trace',
      ...overrides,
    };
    return Object.fromEntries(
      Object.entries(env).flatMap(([name, value]) => (value === undefined ? [] : [[name, value]])),
    );
  };

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    'publishes with SASL %s over TLS, verified against the CA file, and a consumer receives the event',
    async (mechanism) => {
      const topic = await createTopic(kafka.brokers, 1);
      const collector = await collectEvents(kafka.brokers, topic);
      const t = await startTestTessera(kafkaEnv(topic, mechanism));
      try {
        const { client } = await t.tessera.clients.create({ name: mechanism, metadata: {} });
        await collector.until((messages) =>
          messages.some((message) => message.key === client.clientId),
        );
        const [message] = collector.messages;
        expect(message?.key).toBe(client.clientId);
        expect(JSON.parse(message?.value ?? '{}')).toMatchObject({
          type: 'tessera.client.created',
        });
        // The consumer may see the event before the relay has marked it published.
        await expect.poll(async () => (await t.tessera.storage.outbox.backlog()).pending).toBe(0);
        expect(failures(t)).toEqual([]);
        expect(JSON.stringify(t.logs)).not.toContain(endpoint.password);
      } finally {
        await t.stop();
        await collector.stop();
      }
    },
  );

  it('refuses the broker when its certificate chains to no trusted CA (no KAFKA_SSL_CA_FILE)', async () => {
    const topic = await createTopic(kafka.brokers, 1);
    const t = await startTestTessera(
      kafkaEnv(topic, 'scram-sha-256', { KAFKA_SSL_CA_FILE: undefined }),
    );
    try {
      await t.tessera.clients.create({ name: 'untrusted broker', metadata: {} });
      await expect.poll(() => failures(t).length).toBeGreaterThan(0);
      expect(errorMessageOf(failures(t)[0])).toMatch(/self[- ]signed certificate/);
      expect((await t.tessera.storage.outbox.backlog()).pending).toBe(1);
    } finally {
      await t.stop();
    }
  });

  it.each(['plain', 'scram-sha-256'] as const)(
    'with a wrong SASL %s password keeps every event, serves every request and logs the refusal without the password; the right one then publishes them all',
    async (mechanism) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tessera-sasl-'));
      const secrets = { ...testSecrets(), TESSERA_DATA_DIR: dataDir };
      const wrongPassword = `wrong-${randomBytes(12).toString('hex')}`;
      const topic = await createTopic(kafka.brokers, 1);
      let recorded: { id: string; key: string; sequence: number }[];
      try {
        const refused = await startTestTessera({
          ...kafkaEnv(topic, mechanism, { KAFKA_SASL_PASSWORD: wrongPassword }),
          ...secrets,
        });
        try {
          // Requests that record events: a client created, a token issued and revoked over HTTP.
          const service = await registerClient(refused);
          const rp = await relyingParty(refused, service);
          for (let round = 0; round < 3; round += 1) {
            const { access_token: token } = await oidc.clientCredentialsGrant(rp);
            await oidc.tokenRevocation(rp, token);
          }
          await expect.poll(() => failures(refused).length).toBeGreaterThan(0);
          expect(errorMessageOf(failures(refused)[0])).toMatch(
            mechanism === 'plain'
              ? /SASL PLAIN authentication failed: .*Invalid username or password/
              : /SASL SCRAM SHA256 authentication failed: .*invalid credentials/,
          );
          const ready = await fetch(`${refused.issuer}/readyz`);
          expect(ready.status).toBe(200);
          expect(await ready.json()).toMatchObject({ outbox: { relay: 'failing', pending: 4 } });
          recorded = (await refused.tessera.storage.outbox.listRecent({ limit: 100 })).map(
            (event) => ({ id: event.id, key: event.key, sequence: event.sequence }),
          );
          expect(recorded).toHaveLength(4);
        } finally {
          await refused.stop();
        }
        const logged = JSON.stringify(refused.logs);
        expect(logged).toContain(PUBLISH_FAILED);
        expect(logged).not.toContain(wrongPassword);
        expect(logged).not.toContain(endpoint.password);

        // The operator fixes the Secret and restarts: the same outbox, now published in full.
        const collector = await collectEvents(kafka.brokers, topic);
        const fixed = await startTestTessera({ ...kafkaEnv(topic, mechanism), ...secrets });
        try {
          await collector.until((messages) => messages.length >= recorded.length);
          expect(compareDelivery(recorded, collector.messages)).toMatchObject({
            missing: [],
            unknown: [],
            outOfOrderKeys: [],
          });
          await expect
            .poll(async () => (await fixed.tessera.storage.outbox.backlog()).pending)
            .toBe(0);
        } finally {
          await fixed.stop();
          await collector.stop();
        }
        expect(JSON.stringify(fixed.logs)).not.toContain(endpoint.password);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );

  it('lets the example consumer follow the events over TLS and SASL with the same variables', async () => {
    const api = 'https://photos.example.com/api';
    const topic = await createTopic(kafka.brokers, 1);
    const t = await startTestTessera(kafkaEnv(topic, 'scram-sha-512', { LOG_LEVEL: 'info' }));
    // The same user with another mechanism; the example ignores Tessera's own tuning variables.
    const example = await startExample({
      ...kafkaEnv(topic, 'scram-sha-256'),
      TESSERA_ISSUER: t.issuer,
      API_AUDIENCE: api,
    });
    try {
      await createUser(t);
      await t.tessera.resourceServers.create({ audience: api, scopes: ['photos:read'] });
      const app = await registerAppClient(t, {
        public: true,
        scope: 'openid offline_access photos:read',
      });
      const { tokens } = await signInAndRedeem(t, app, undefined, {
        params: { scope: 'openid offline_access photos:read', prompt: 'consent', resource: api },
      });
      const photos = () =>
        fetch(`${example.url}/photos`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
      expect((await photos()).status).toBe(200);
      await oidc.tokenRevocation(app.rp, tokens.refresh_token!, {
        token_type_hint: 'refresh_token',
      });
      await expect.poll(async () => (await photos()).status).toBe(401);
      expect(example.output()).not.toContain(endpoint.password);
    } finally {
      example.child.kill('SIGTERM');
      await once(example.child, 'exit');
      await t.stop();
    }
  });
});
