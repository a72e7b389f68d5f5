/**
 * The two servers a scenario compares, each its own process on loopback: Tessera's real entry
 * (`src/main.ts`, logging at info to a file, metrics on) and the bare oidc-provider baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { startTessera } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/create-logger.ts';
import { findFreePort } from '../test-services/ports.ts';
import type { BaselineFixtures } from './baseline-provider.ts';
import {
  BENCH_JWT_API,
  BENCH_OPAQUE_API,
  BENCH_PASSWORD,
  BENCH_REDIRECT_URI,
  BENCH_SCOPE,
  BENCH_USERNAME,
  benchSecrets,
  type BenchFixtures,
} from './fixtures.ts';
import { rssMb } from './process-stats.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const READY_TIMEOUT_MS = 60_000;

export interface Target {
  readonly origin: string;
  readonly pid: number;
  readonly fixtures: BenchFixtures;
  /** Resident memory of the started, not yet loaded server (its whole process tree), MiB. */
  readonly idleRssMb: number;
  /** The server's log file (Tessera writes its access log there). */
  readonly logFile: string | undefined;
  stop(): Promise<void>;
}

export type Store = 'sqlite' | 'mongodb';

export interface TesseraTargetOptions {
  readonly store: Store;
  readonly mongodbUri: string | undefined;
  /** TESSERA_WORKERS; unset = the default (one process). */
  readonly workers?: number | undefined;
  readonly env?: Record<string, string> | undefined;
  /** Run dist/src/main.js (npm run build) instead of src/main.ts. */
  readonly built?: boolean | undefined;
}

const baseFixtures = {
  jwtApi: BENCH_JWT_API,
  opaqueApi: BENCH_OPAQUE_API,
  scope: BENCH_SCOPE,
  username: BENCH_USERNAME,
  password: BENCH_PASSWORD,
};

export async function startBaselineTarget(env: Record<string, string> = {}): Promise<Target> {
  const port = await findFreePort();
  const fixtures: BaselineFixtures = {
    ...baseFixtures,
    port,
    service: { clientId: 'bench-service', clientSecret: randomBytes(32).toString('base64url') },
    app: {
      clientId: 'bench-app',
      clientSecret: randomBytes(32).toString('base64url'),
      redirectUri: BENCH_REDIRECT_URI,
    },
  };
  const child = spawn(process.execPath, [join(ROOT, 'scripts/bench/baseline-provider.ts')], {
    env: { PATH: process.env['PATH'] ?? '', ...env, BENCH_BASELINE: JSON.stringify(fixtures) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolveReady, reject) => {
    child.stdout?.once('data', () => resolveReady());
    child.once('exit', (code) => reject(new Error(`baseline exited (${code}) before listening`)));
  });
  return finishStart(child, `http://127.0.0.1:${port}`, fixtures, undefined, () => undefined);
}

export async function startTesseraTarget(options: TesseraTargetOptions): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const port = await findFreePort();
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    TESSERA_DATA_DIR: dataDir,
    ...benchSecrets(),
    ...(options.store === 'mongodb'
      ? {
          MONGODB_URI: options.mongodbUri ?? '',
          MONGODB_DB: `tessera_bench_${randomBytes(4).toString('hex')}`,
        }
      : {}),
    ...(options.workers === undefined ? {} : { TESSERA_WORKERS: String(options.workers) }),
    ...options.env,
  };
  const fixtures = await seed(env);
  const logFile = join(dataDir, 'tessera.log');
  const log = openSync(logFile, 'a');
  const entry = options.built ? 'dist/src/main.js' : 'src/main.ts';
  const child = spawn(process.execPath, [join(ROOT, entry)], {
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const origin = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit');
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ready = await fetch(`${origin}/readyz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tessera did not become ready:\n${readFileSync(logFile, 'utf8')}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  void exited;
  return finishStart(child, origin, fixtures, logFile, async () => {
    // A Tessera that died under load leaves its log's last lines for the reader.
    if (child.exitCode !== 0 && child.signalCode !== 'SIGTERM') {
      const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
      process.stderr.write(
        `tessera exited (${child.exitCode ?? child.signalCode}):\n${lines.slice(-20).join('\n')}\n`,
      );
    }
    rmSync(dataDir, { recursive: true, force: true });
    // MONGODB_URI may be a real server: leave no bench database on it.
    if (env['MONGODB_DB']) await dropDatabase(env['MONGODB_URI'] ?? '', env['MONGODB_DB']);
  });
}

async function dropDatabase(uri: string, name: string): Promise<void> {
  const client = createMongoClient(uri);
  try {
    await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}

async function finishStart(
  child: ChildProcess,
  origin: string,
  fixtures: BenchFixtures,
  logFile: string | undefined,
  cleanUp: () => void | Promise<void>,
): Promise<Target> {
  // Let startup work (module compilation, first GC) settle before calling it idle.
  await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
  const pid = child.pid as number;
  // Should the benchmark itself fail, its servers must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    origin,
    pid,
    fixtures,
    idleRssMb: rssMb(pid),
    logFile,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await cleanUp();
    },
  };
}

/**
 * Registers the fixtures through Tessera's own services, in this process on the same store and
 * secrets, before the measured process starts (as test/helpers/seed-tessera.ts does).
 */
async function seed(env: Record<string, string>): Promise<BenchFixtures> {
  const config = loadConfig({ ...env, PORT: '0', LOG_LEVEL: 'silent', TESSERA_WORKERS: '1' });
  const tessera = await startTessera(config, { logger: createLogger('silent') });
  try {
    await tessera.resourceServers.create({ audience: BENCH_JWT_API, scopes: [BENCH_SCOPE] });
    await tessera.resourceServers.create({
      audience: BENCH_OPAQUE_API,
      scopes: [BENCH_SCOPE],
      accessTokenFormat: 'opaque',
    });
    const service = await tessera.clients.create({
      name: 'bench service',
      metadata: { grant_types: ['client_credentials'], scope: BENCH_SCOPE },
    });
    const app = await tessera.clients.create({
      name: 'bench app',
      metadata: {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [BENCH_REDIRECT_URI],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'openid offline_access',
      },
    });
    await tessera.accounts.create({ username: BENCH_USERNAME, password: BENCH_PASSWORD });
    return {
      ...baseFixtures,
      service: { clientId: service.client.clientId, clientSecret: service.secret?.secret ?? '' },
      app: {
        clientId: app.client.clientId,
        clientSecret: app.secret?.secret ?? '',
        redirectUri: BENCH_REDIRECT_URI,
      },
    };
  } finally {
    await tessera.stop();
  }
}
