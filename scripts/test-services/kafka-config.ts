/** Ports and paths one single-node KRaft broker needs. */
export interface KafkaLayout {
  port: number;
  controllerPort: number;
  logDir: string;
  /** A second client listener, SASL over TLS, for tests of Tessera's TLS/SASL settings. */
  saslSsl?: KafkaSaslSslLayout;
}

/** The SASL_SSL listener: its port, the broker's PEM keystore and the one user it accepts. */
export interface KafkaSaslSslLayout {
  port: number;
  /** PKCS#8 key followed by the certificate chain (scripts/test-services/kafka-tls.ts). */
  keystoreFile: string;
  username: string;
  /** Letters and digits only: it is written into a JAAS option unescaped. */
  password: string;
}

/** What the SASL_SSL listener accepts; SCRAM users are created by `StorageTool format --add-scram`. */
export const SASL_SSL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/**
 * server.properties for one process acting as both broker and controller (KRaft combined mode).
 *
 * Replication settings drop to 1 because the internal topics (__consumer_offsets,
 * __transaction_state) otherwise wait for three brokers and group joins never complete.
 */
export function renderServerProperties(layout: KafkaLayout): string {
  const broker = `127.0.0.1:${String(layout.port)}`;
  const controller = `127.0.0.1:${String(layout.controllerPort)}`;
  const saslSsl = layout.saslSsl && `SASL_SSL://127.0.0.1:${String(layout.saslSsl.port)}`;
  const clientListeners = [`PLAINTEXT://${broker}`, ...(saslSsl ? [saslSsl] : [])];
  return [
    'process.roles=broker,controller',
    'node.id=1',
    // A static quorum, so `StorageTool format` needs no --standalone/--initial-controllers.
    `controller.quorum.voters=1@${controller}`,
    `listeners=${[...clientListeners, `CONTROLLER://${controller}`].join(',')}`,
    `advertised.listeners=${clientListeners.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    // Brokers and tests' own clients stay on PLAINTEXT; SASL_SSL is for the client under test.
    'inter.broker.listener.name=PLAINTEXT',
    ...(layout.saslSsl ? renderSaslSslListener(layout.saslSsl) : []),
    `log.dirs=${layout.logDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    // The default 50 partitions per internal topic make the first group join and the first
    // idempotent producer wait seconds for coordinators to load; one is plenty for tests.
    'offsets.topic.num.partitions=1',
    'transaction.state.log.num.partitions=1',
    // Tests create a fresh group and expect it to be assigned partitions at once.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    // After a kill, the controller refuses the restarted broker's registration until the old
    // session expires (default 9 s), so a crash drill would stall ~12 s; this makes it ~6 s while
    // leaving room for GC or CPU pauses on a busy test machine.
    'broker.session.timeout.ms=4000',
    'broker.heartbeat.interval.ms=1000',
    '',
  ].join('\n');
}

/**
 * Per-listener settings (Kafka docs "Security": `listener.name.<name>.` prefixes, lower case):
 * a PEM keystore (KIP-651; an unencrypted key, so no `ssl.key.password`), no client
 * certificates, and one user for PLAIN (in its JAAS options) and SCRAM (stored in the metadata
 * log at format time, so the JAAS entry only names the login module).
 */
function renderSaslSslListener(listener: KafkaSaslSslLayout): string[] {
  const prefix = 'listener.name.sasl_ssl';
  return [
    `${prefix}.ssl.keystore.type=PEM`,
    `${prefix}.ssl.keystore.location=${listener.keystoreFile}`,
    `${prefix}.ssl.client.auth=none`,
    `${prefix}.sasl.enabled.mechanisms=${SASL_SSL_MECHANISMS.join(',')}`,
    `${prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${listener.username}="${listener.password}";`,
    `${prefix}.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `${prefix}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
  ];
}

/** `StorageTool format` arguments that create the SASL_SSL user for both SCRAM mechanisms. */
export function scramFormatArgs(listener: KafkaSaslSslLayout | undefined): string[] {
  if (!listener) return [];
  return SASL_SSL_MECHANISMS.filter((mechanism) => mechanism.startsWith('SCRAM-')).flatMap(
    (mechanism) => [
      '--add-scram',
      `${mechanism}=[name=${listener.username},password=${listener.password}]`,
    ],
  );
}

/** Log4j 2 at WARN to stdout, which spawnLogged sends to the service log file. */
export function renderLog4jProperties(): string {
  return [
    'status = error',
    'appender.stdout.type = Console',
    'appender.stdout.name = STDOUT',
    'appender.stdout.layout.type = PatternLayout',
    'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = warn',
    'rootLogger.appenderRef.stdout.ref = STDOUT',
    '',
  ].join('\n');
}

/** The throwaway Maven project whose runtime dependencies are the Kafka broker's class path. */
export function renderJarsPom(kafkaVersion: string): string {
  const dependency = (group: string, artifact: string, version: string): string =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>tessera.test-services</groupId>',
    '  <artifactId>kafka-jars</artifactId>',
    '  <version>0</version>',
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency('org.apache.kafka', 'kafka_2.13', kafkaVersion),
    // Kafka alone resolves slf4j-api 1.7.36, which ignores the slf4j 2 binding below and logs nothing.
    dependency('org.slf4j', 'slf4j-api', '2.0.17'),
    dependency('org.apache.logging.log4j', 'log4j-slf4j2-impl', '2.25.3'),
    dependency('org.apache.logging.log4j', 'log4j-core', '2.25.3'),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}
