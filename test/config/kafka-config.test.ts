import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { logLevel } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { buildKafkaClientOptions } from '../../adapters/kafka/kafka-client-options.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import type { KafkaConfig } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load-config.ts';

const key = () => randomBytes(32).toString('base64url');
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';

describe('Kafka connection settings', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-kafka-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const load = (env: Record<string, string>, production = false) =>
    loadConfig({
      TESSERA_DATA_DIR: dataDir,
      KAFKA_BROKERS: 'k1:9093,k2:9093',
      ...(production
        ? {
            NODE_ENV: 'production',
            TESSERA_ISSUER: 'https://id.example.com',
            TESSERA_KEY_ENCRYPTION_KEY: key(),
            TESSERA_COOKIE_KEYS: key(),
            TESSERA_SECRET_PEPPER: key(),
          }
        : {}),
      ...env,
    });
  const refusal = (env: Record<string, string>, production = false) => {
    try {
      load(env, production);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };
  const caFile = (content = PEM) => {
    const path = join(dataDir, 'kafka-ca.pem');
    writeFileSync(path, content);
    return path;
  };

  it('defaults to plaintext without SASL, as client id "tessera"', () => {
    expect(load({}).kafka).toMatchObject({ clientId: 'tessera', ssl: undefined, sasl: undefined });
  });

  it('reads TLS, its CA file, SASL and the client id', () => {
    const config = load({
      KAFKA_CLIENT_ID: 'tessera-eu-1',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: caFile(),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'tessera',
      KAFKA_SASL_PASSWORD: ' pass word ',
    });
    expect(config.kafka).toEqual({
      brokers: ['k1:9093', 'k2:9093'],
      topic: 'tessera.events',
      clientId: 'tessera-eu-1',
      ssl: { ca: PEM },
      sasl: { mechanism: 'scram-sha-512', username: 'tessera', password: ' pass word ' },
    });
    expect(config.warnings).toEqual([]);
  });

  it('uses the system CAs when KAFKA_SSL is true without a CA file', () => {
    expect(load({ KAFKA_SSL: 'true' }).kafka?.ssl).toEqual({ ca: undefined });
  });

  it.each([
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'secret' }, 'KAFKA_SASL_USERNAME'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'tessera' }, 'KAFKA_SASL_PASSWORD'],
    [{ KAFKA_SASL_USERNAME: 'tessera' }, 'KAFKA_SASL_USERNAME'],
    [{ KAFKA_SASL_PASSWORD: 'secret' }, 'KAFKA_SASL_PASSWORD'],
    [{ KAFKA_SSL: 'yes please' }, 'KAFKA_SSL'],
    [{ KAFKA_CLIENT_ID: 'tessera eu' }, 'KAFKA_CLIENT_ID'],
  ])('refuses %o, naming %s', (env, variable) => {
    expect(refusal(env).variable).toBe(variable);
  });

  it('refuses a CA file without TLS, a missing one, and one without a certificate', () => {
    expect(refusal({ KAFKA_SSL_CA_FILE: caFile() }).message).toBe(
      'KAFKA_SSL_CA_FILE: needs KAFKA_SSL=true',
    );
    const missing = refusal({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dataDir, 'nope.pem') });
    expect(missing.message).toMatch(/^KAFKA_SSL_CA_FILE: cannot read .*nope\.pem \(ENOENT\)$/);
    const empty = refusal({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile('not a cert') });
    expect(empty.message).toMatch(/holds no PEM certificate$/);
  });

  it('refuses SASL over plaintext in production, naming KAFKA_SSL', () => {
    const sasl = {
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'tessera',
      KAFKA_SASL_PASSWORD: 'hunter2-but-longer',
    };
    const error = refusal(sasl, true);
    expect(error.variable).toBe('KAFKA_SSL');
    expect(error.message).not.toContain('hunter2');
    expect(load({ ...sasl, KAFKA_SSL: 'true' }, true).kafka?.sasl?.mechanism).toBe('scram-sha-256');
  });

  it('allows SASL over plaintext outside production, with a startup warning', () => {
    const config = load({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'tessera',
      KAFKA_SASL_PASSWORD: 'hunter2-but-longer',
    });
    expect(config.warnings).toEqual([
      {
        variable: 'KAFKA_SSL',
        message:
          'SASL (plain) over a plaintext connection: allowed outside production only; set KAFKA_SSL=true',
      },
    ]);
    expect(JSON.stringify(config.warnings)).not.toContain('hunter2');
  });
});

describe('kafkajs client options', () => {
  const base: KafkaConfig = {
    brokers: ['k1:9093', 'k2:9093'],
    topic: 'tessera.events',
    clientId: 'tessera',
    ssl: undefined,
    sasl: undefined,
  };
  const tuning = {
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    logLevel: logLevel.INFO,
    logCreator: () => () => undefined,
  };

  it('connects in plaintext without SASL by default', () => {
    const options = buildKafkaClientOptions(base, tuning);
    expect(options).toMatchObject({
      clientId: 'tessera',
      brokers: ['k1:9093', 'k2:9093'],
      connectionTimeout: 3_000,
      requestTimeout: 5_000,
      logLevel: logLevel.INFO,
    });
    expect(options).not.toHaveProperty('ssl');
    expect(options).not.toHaveProperty('sasl');
  });

  it('turns TLS on with the system CAs, or with only the configured CA', () => {
    expect(buildKafkaClientOptions({ ...base, ssl: { ca: undefined } }, tuning).ssl).toBe(true);
    expect(buildKafkaClientOptions({ ...base, ssl: { ca: PEM } }, tuning).ssl).toEqual({
      ca: [PEM],
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    'passes SASL %s with its credentials, and the client id',
    (mechanism) => {
      const options = buildKafkaClientOptions(
        {
          ...base,
          clientId: 'tessera-eu-1',
          ssl: { ca: undefined },
          sasl: { mechanism, username: 'tessera', password: 's3cret' },
        },
        tuning,
      );
      expect(options.clientId).toBe('tessera-eu-1');
      expect(options.sasl).toEqual({ mechanism, username: 'tessera', password: 's3cret' });
    },
  );
});
