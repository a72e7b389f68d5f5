import type { KafkaConfig as KafkajsConfig, SASLOptions } from 'kafkajs';

/**
 * Where and how to reach the brokers. The adapter states what it needs; the composition root
 * passes `config.kafka` (src/config/config.ts), which has this shape, so nothing here depends on
 * how the configuration is read.
 */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  /** Kafka `client.id`. */
  readonly clientId: string;
  /** TLS to every broker; `ca` (PEM) replaces Node's bundled CAs when set. */
  readonly ssl?: { readonly ca?: string | undefined } | undefined;
  /** The password is a secret: it goes only into the kafkajs options, never to a log. */
  readonly sasl?:
    | {
        readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
        readonly username: string;
        readonly password: string;
      }
    | undefined;
}

/** What the Kafka client needs besides the configuration: timeouts and the log hook. */
export interface KafkaClientTuning {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly logCreator: KafkajsConfig['logCreator'];
  readonly logLevel: KafkajsConfig['logLevel'];
}

/**
 * The kafkajs client options for Tessera's configuration (kafkajs docs "Client Configuration":
 * `ssl` is passed to tls.connect, which verifies the broker's certificate and host name —
 * kafkajs sets `servername` to the broker host, src/network/socketFactory.js; `sasl` takes the
 * mechanism names kafkajs knows: plain, scram-sha-256, scram-sha-512).
 *
 * The SASL password goes only into this object, which nothing logs: kafkajs's own logging is
 * held at INFO (kafka-publisher.ts) and its SASL authenticators log the broker, never the
 * credentials (src/broker/saslAuthenticator).
 */
export function buildKafkaClientOptions(
  config: KafkaConnection,
  tuning: KafkaClientTuning,
): KafkajsConfig {
  const sasl: SASLOptions | undefined = config.sasl && {
    mechanism: config.sasl.mechanism,
    username: config.sasl.username,
    password: config.sasl.password,
  };
  return {
    clientId: config.clientId,
    brokers: [...config.brokers],
    // A CA file replaces the bundled roots (tls.connect `ca`); certificates are always verified.
    ...(config.ssl ? { ssl: config.ssl.ca === undefined ? true : { ca: [config.ssl.ca] } } : {}),
    ...(sasl ? { sasl } : {}),
    connectionTimeout: tuning.connectionTimeout,
    requestTimeout: tuning.requestTimeout,
    // Short: the relay retries with its own backoff, and a send must end within the timeout.
    // kafkajs applies these itself (src/retry/index.js: each wait is the previous one ±20 %,
    // doubled, capped at maxRetryTime), so src/runtime/backoff.ts has no part in them.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    ...(tuning.logLevel === undefined ? {} : { logLevel: tuning.logLevel }),
    ...(tuning.logCreator === undefined ? {} : { logCreator: tuning.logCreator }),
  };
}
