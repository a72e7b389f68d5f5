import { randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { publishStaged, resolveCacheDir } from './cache-dir.ts';
import {
  renderJarsPom,
  renderLog4jProperties,
  renderServerProperties,
  scramFormatArgs,
  type KafkaSaslSslLayout,
} from './kafka-config.ts';
import { assertKafkaReady } from './kafka-readiness.ts';
import { ensureKafkaTlsFiles } from './kafka-tls.ts';
import { assertTcpAccepts, findFreePort } from './ports.ts';
import { runCommand } from './process.ts';
import { createRestartableService } from './restartable-service.ts';

const KAFKA_VERSION = '4.1.2';
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;

export interface KafkaOptions {
  /** Client (PLAINTEXT) port; the controller listener gets another free port. */
  port?: number;
  /** Keeps config, logs and partitions here instead of a fresh temp dir; the caller removes it. */
  dataDir?: string;
  /**
   * Also listen for SASL_SSL on another free port: TLS with a CA generated into the data dir,
   * one user accepted with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. Tests' own clients keep
   * using the PLAINTEXT `brokers`.
   */
  saslSsl?: boolean;
}

/** How a client reaches the SASL_SSL listener (KafkaOptions.saslSsl). */
export interface KafkaSaslSslEndpoint {
  /** `127.0.0.1:port`; the broker's certificate names 127.0.0.1 and localhost. */
  brokers: string;
  /** The PEM of the CA that signed the broker's certificate. */
  caFile: string;
  username: string;
  password: string;
}

/** A running single-node KRaft Kafka that tests may stop and restart. */
export interface KafkaHandle {
  /** `host:port`, as kafkajs `brokers` expects. */
  brokers: string;
  /** Set when started with `saslSsl: true`. */
  saslSsl: KafkaSaslSslEndpoint | undefined;
  dataDir: string;
  /** Graceful (controlled) shutdown; resolves once the JVM has exited. No-op when stopped. */
  stop(): Promise<void>;
  /** Starts again on the same ports with the same data; resolves once clients can work. */
  start(): Promise<void>;
  /** SIGKILL, as a crash would; resolves once the JVM has exited. */
  kill(): Promise<void>;
}

/** Returns the directory of the Kafka broker's jars, fetching them from Maven Central on first use. */
export async function ensureKafkaJars(): Promise<string> {
  const cached = await findCachedKafkaJars();
  if (cached !== undefined) return cached;

  const libsDir = kafkaLibsPath();
  await mkdir(dirname(libsDir), { recursive: true });
  // Staging beside the final dir keeps the rename on one file system, hence atomic.
  const staging = await mkdtemp(join(resolveCacheDir(), '.kafka-jars-'));
  try {
    await writeFile(join(staging, 'pom.xml'), renderJarsPom(KAFKA_VERSION));
    const stagedLibs = join(staging, 'libs');
    await runCommand(
      'mvn',
      [
        '-q',
        '-B',
        'dependency:copy-dependencies',
        `-DoutputDirectory=${stagedLibs}`,
        '-DincludeScope=runtime',
      ],
      { cwd: staging },
    );
    if (!(await hasJars(stagedLibs))) throw new Error(`mvn copied no jars into ${stagedLibs}`);
    await publishStaged(stagedLibs, libsDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return libsDir;
}

/** The jars directory when it is already in the cache, so callers can announce a download. */
export async function findCachedKafkaJars(): Promise<string | undefined> {
  const libsDir = kafkaLibsPath();
  return (await hasJars(libsDir)) ? libsDir : undefined;
}

/** Formats storage once, starts the broker and waits until kafkajs clients can work with it. */
export async function startKafka(options: KafkaOptions = {}): Promise<KafkaHandle> {
  const libsDir = await ensureKafkaJars();
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'tessera-kafka-')));
  await mkdir(dataDir, { recursive: true });
  const port = options.port ?? (await findFreePort());
  const controllerPort = await findFreePort();
  const brokers = `127.0.0.1:${String(port)}`;
  const saslSsl = options.saslSsl ? await prepareSaslSsl(dataDir) : undefined;

  const serverProperties = join(dataDir, 'server.properties');
  const log4jProperties = join(dataDir, 'log4j2.properties');
  await writeFile(
    serverProperties,
    renderServerProperties({
      port,
      controllerPort,
      logDir: join(dataDir, 'kraft'),
      ...(saslSsl ? { saslSsl: saslSsl.layout } : {}),
    }),
  );
  await writeFile(log4jProperties, renderLog4jProperties());
  const javaArgs = (heap: string[], mainClass: string, args: string[]): string[] => [
    ...heap,
    '-cp',
    // The JVM expands a trailing `*` to every jar in the directory itself.
    join(libsDir, '*'),
    `-Dlog4j2.configurationFile=${log4jProperties}`,
    mainClass,
    ...args,
  ];

  // A KRaft cluster id is a base64url UUID: 16 random bytes give its 22 characters.
  const clusterId = randomBytes(16).toString('base64url');
  await runCommand(
    resolveJava(),
    javaArgs(['-Xmx256m'], 'kafka.tools.StorageTool', [
      'format',
      // One argument: an id starting with '-' must not read as a flag.
      `--cluster-id=${clusterId}`,
      '-c',
      serverProperties,
      // A caller-supplied dataDir may hold a formatted log from an earlier start.
      '--ignore-formatted',
      // SCRAM credentials live in the metadata log; format writes them before the first start.
      ...scramFormatArgs(saslSsl?.layout),
    ]),
  );

  const service = createRestartableService({
    name: `Kafka on ${brokers}`,
    spawn: {
      command: resolveJava(),
      args: javaArgs(['-Xms512m', '-Xmx512m'], 'kafka.Kafka', [serverProperties]),
      logFile: join(dataDir, 'kafka.log'),
    },
    probe: async () => {
      await assertKafkaReady(brokers, port);
      // All listeners open together; this only guards against a port clash going unnoticed.
      if (saslSsl) await assertTcpAccepts(saslSsl.layout.port);
    },
    startupTimeoutMs: STARTUP_TIMEOUT_MS,
    stopGraceMs: STOP_GRACE_MS,
    probeIntervalMs: 250,
  });
  await service.start();
  return { brokers, saslSsl: saslSsl?.endpoint, dataDir, ...service };
}

/** TLS files, a port and the SASL user (its password kept in the data dir for a reused one). */
async function prepareSaslSsl(
  dataDir: string,
): Promise<{ layout: KafkaSaslSslLayout; endpoint: KafkaSaslSslEndpoint }> {
  const tlsDir = join(dataDir, 'tls');
  const { caFile, keystoreFile } = await ensureKafkaTlsFiles(tlsDir);
  const passwordFile = join(tlsDir, 'sasl-password');
  let password: string;
  try {
    password = await readFile(passwordFile, 'utf8');
  } catch {
    password = randomBytes(18).toString('hex');
    await writeFile(passwordFile, password, { mode: 0o600 });
  }
  const layout = { port: await findFreePort(), keystoreFile, username: 'tessera', password };
  const endpoint = {
    brokers: `127.0.0.1:${String(layout.port)}`,
    caFile,
    username: layout.username,
    password,
  };
  return { layout, endpoint };
}

function kafkaLibsPath(): string {
  return join(resolveCacheDir(), `kafka-${KAFKA_VERSION}`, 'libs');
}

function resolveJava(): string {
  const javaHome = process.env['JAVA_HOME'];
  return javaHome ? join(javaHome, 'bin', 'java') : 'java';
}

async function hasJars(dir: string): Promise<boolean> {
  try {
    await access(dir);
    return (await readdir(dir)).some((name) => name.startsWith('kafka_2.13-'));
  } catch {
    return false;
  }
}
