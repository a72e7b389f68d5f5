/** Ports and paths one single-node KRaft broker needs. */
export interface KafkaLayout {
  port: number;
  controllerPort: number;
  logDir: string;
}

/**
 * server.properties for one process acting as both broker and controller (KRaft combined mode).
 *
 * Replication settings drop to 1 because the internal topics (__consumer_offsets,
 * __transaction_state) otherwise wait for three brokers and group joins never complete.
 */
export function renderServerProperties(layout: KafkaLayout): string {
  const broker = `127.0.0.1:${String(layout.port)}`;
  const controller = `127.0.0.1:${String(layout.controllerPort)}`;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    // A static quorum, so `StorageTool format` needs no --standalone/--initial-controllers.
    `controller.quorum.voters=1@${controller}`,
    `listeners=PLAINTEXT://${broker},CONTROLLER://${controller}`,
    `advertised.listeners=PLAINTEXT://${broker}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
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
