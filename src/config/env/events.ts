import { z } from 'zod';

import {
  blankAsUnset,
  code,
  defineGroup,
  flag,
  integer,
  optionalInteger,
  optionalText,
  text,
} from '../env-variable.ts';

const DAY = 86_400;
const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const brokerList = z.string().transform((value, ctx) => {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  const malformed = brokers.find((broker) => !/^[^\s:]+:\d{1,5}$/.test(broker));
  if (malformed !== undefined) ctx.addIssue(`"${malformed}" is not host:port`);
  else if (brokers.length === 0) ctx.addIssue('lists no broker');
  return brokers;
});

function saslCredentialProblem(
  credential: string | undefined,
  mechanism: string | undefined,
): string | undefined {
  if (mechanism === undefined) {
    return credential === undefined ? undefined : 'needs KAFKA_SASL_MECHANISM';
  }
  return credential === undefined ? `required with KAFKA_SASL_MECHANISM=${mechanism}` : undefined;
}

export const outboxVariables = defineGroup({
  title: 'Outbox',
  about:
    'Every event is recorded in the outbox with the change it describes; the relay publishes it to Kafka when configured (see [Events](events.md)).',
  variables: {
    TESSERA_OUTBOX_RETENTION: {
      ...integer({ min: 1, max: 365 * DAY, default: 7 * DAY, unit: 'seconds' }),
      description:
        'seconds published events stay in the outbox (`tessera events list`); without Kafka, every event',
    },
    TESSERA_OUTBOX_SETTLE_MS: {
      ...optionalInteger({ min: 0, max: 60_000, unit: 'ms' }),
      description:
        'the relay publishes only events recorded at least this long ago (see [Delivery](events.md#delivery))',
      default: '`0` on SQLite, `1000` on MongoDB',
    },
    TESSERA_OUTBOX_POLL_MS: {
      ...integer({ min: 10, max: 60_000, default: 500, unit: 'ms' }),
      description: 'how often the relay looks for new events while idle',
    },
    TESSERA_OUTBOX_MAX_BACKLOG: {
      ...optionalInteger({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      description: '`/readyz` answers 503 while more events than this wait for Kafka',
      default: 'unset: the backlog is reported, never failed on',
    },
  },
  rules: [],
});

export const kafkaVariables = defineGroup({
  title: 'Kafka',
  about:
    'The relay publishes the outbox to Kafka when `KAFKA_BROKERS` is set (see [Outbox relay](operations.md#outbox-relay-kafka)). TLS and SASL settings are checked even without brokers, so a mistake shows before it matters.',
  variables: {
    KAFKA_BROKERS: {
      schema: blankAsUnset.pipe(brokerList.optional()),
      description: "relay the outbox's events to Kafka through these brokers",
      default: 'unset: events stay in the outbox',
      allowed: 'comma-separated `host:port`',
    },
    KAFKA_TOPIC: {
      ...text('tessera.events'),
      description: 'the topic events are published to',
    },
    KAFKA_CLIENT_ID: {
      ...text('tessera', {
        regex: /^[A-Za-z0-9._-]{1,255}$/,
        message: 'letters, digits, . _ - only, at most 255',
      }),
      description: 'the Kafka `client.id` (broker logs, quotas, ACL audit)',
      allowed: 'letters, digits, `.` `_` `-`; at most 255 characters',
    },
    KAFKA_SSL: {
      ...flag(false),
      description: 'connect to the brokers over TLS, verifying their certificates and host names',
    },
    KAFKA_SSL_CA_FILE: {
      ...optionalText(),
      description:
        "PEM file of the CA(s) that sign the brokers' certificates, instead of Node's public CAs",
      default: "unset: Node's public CAs",
      allowed: 'a readable file holding a PEM certificate',
    },
    KAFKA_SASL_MECHANISM: {
      schema: blankAsUnset.pipe(z.enum(SASL_MECHANISMS).optional()),
      description: 'authenticate with SASL; production refuses it without `KAFKA_SSL=true`',
      default: 'unset: no SASL',
      allowed: SASL_MECHANISMS.map(code).join(' '),
    },
    KAFKA_SASL_USERNAME: {
      ...optionalText(),
      description: 'the SASL user',
      default: 'unset',
    },
    KAFKA_SASL_PASSWORD: {
      // Not trimmed: a password may start or end with a space.
      schema: z
        .string()
        .transform((value) => (value === '' ? undefined : value))
        .optional(),
      description: 'its password; a secret, never logged (Kubernetes: the Secret)',
      default: 'unset',
      allowed: 'any text, spaces kept',
    },
  },
  rules: [
    {
      variable: 'KAFKA_SSL_CA_FILE',
      rule: 'needs `KAFKA_SSL=true`',
      check: (env) =>
        env.KAFKA_SSL_CA_FILE !== undefined && !env.KAFKA_SSL ? 'needs KAFKA_SSL=true' : undefined,
    },
    {
      variable: 'KAFKA_SASL_USERNAME',
      rule: 'required with `KAFKA_SASL_MECHANISM`, and only with it',
      check: (env) => saslCredentialProblem(env.KAFKA_SASL_USERNAME, env.KAFKA_SASL_MECHANISM),
    },
    {
      variable: 'KAFKA_SASL_PASSWORD',
      rule: 'required with `KAFKA_SASL_MECHANISM`, and only with it',
      check: (env) => saslCredentialProblem(env.KAFKA_SASL_PASSWORD, env.KAFKA_SASL_MECHANISM),
    },
    {
      variable: 'KAFKA_SSL',
      production: true,
      rule: '`true` when `KAFKA_SASL_MECHANISM` is set (outside production: a startup warning)',
      check: (env, production) => {
        if (env.KAFKA_SASL_MECHANISM === undefined || env.KAFKA_SSL) return undefined;
        // SASL PLAIN sends the password itself; SCRAM does not, but the session it authenticates
        // (every event) then travels unencrypted and unauthenticated by the broker's certificate.
        const problem = `SASL (${env.KAFKA_SASL_MECHANISM}) over a plaintext connection`;
        return production
          ? `must be true with KAFKA_SASL_MECHANISM in production: ${problem}`
          : { warning: `${problem}: allowed outside production only; set KAFKA_SSL=true` };
      },
    },
  ],
});
