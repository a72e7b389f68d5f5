/**
 * The two servers a scenario compares, each its own process on loopback: Tessera's real entry
 * (`src/main.ts`, logging at info to a file, metrics on) and the bare oidc-provider baseline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { startTessera } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/create-logger.ts';
import { findFreePort } from '../test-services/ports.ts';
import {
  describeExit,
  readLogTail,
  spawnLogged,
  type ExitStatus,
  type LoggedProcess,
} from '../test-services/process.ts';
import { waitUntilReady } from '../test-services/wait-until-ready.ts';
import type { BaselineFixtures } from './baseline-provider.ts';
import { inspectorOptions, openProfileWindow, type ProfileWindow } from './cpu-profile.ts';
import type { FloorFixtures } from './floor-server.ts';
import {
  BENCH_JWT_API,
  BENCH_OPAQUE_API,
  BENCH_PASSWORD,
  BENCH_REDIRECT_URI,
  BENCH_SCOPE,
  BENCH_USERNAME,
  BENCH_USERNAMES,
  benchSecrets,
  type BenchFixtures,
} from './fixtures.ts';
import { rssMb } from './process-stats.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const READY_TIMEOUT_MS = 60_000;
/** SIGTERM, then SIGKILL after this long (Tessera drains in-flight requests first). */
const STOP_GRACE_MS = 15_000;

export interface Target {
  readonly origin: string;
  readonly pid: number;
  readonly fixtures: BenchFixtures;
  /** Resident memory of the started, not yet loaded server (its whole process tree), MiB. */
  readonly idleRssMb: number;
  /** With --profile: samples the measured runs only (cpu-profile.ts). */
  readonly profile?: ProfileWindow | undefined;
  /** The durable baseline's SQLite file (gone once stopped). */
  readonly storeFile?: string | undefined;
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
  /** With --profile: where its CPU profiles go. */
  readonly profileDir?: string | undefined;
}

/** How a target is profiled: the inspector for one process, --cpu-prof for a cluster. */
interface Profiling {
  readonly env: Record<string, string>;
  open(label: string, pid: number): Promise<ProfileWindow | undefined>;
}

async function profilingFor(dir: string | undefined, cluster = false): Promise<Profiling> {
  if (dir === undefined) return { env: {}, open: async () => undefined };
  // Cluster workers would each need an inspector port of their own: whole-life profiles.
  if (cluster) {
    return {
      env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` },
      open: async () => undefined,
    };
  }
  const inspector = await inspectorOptions();
  return {
    env: { NODE_OPTIONS: inspector.nodeOptions },
    open: (label, pid) => openProfileWindow(inspector.port, dir, label, pid),
  };
}

const baseFixtures = {
  jwtApi: BENCH_JWT_API,
  opaqueApi: BENCH_OPAQUE_API,
  scope: BENCH_SCOPE,
  username: BENCH_USERNAME,
  usernames: BENCH_USERNAMES,
  password: BENCH_PASSWORD,
};

/**
 * What the baseline stores in: oidc-provider's in-memory adapter, or (durable) Tessera's SQLite
 * oidc-model store on a file of its own, loaded from dist/ when `compiled`.
 */
export type BaselineStore = 'memory' | { readonly durable: { readonly compiled: boolean } };

export async function startBaselineTarget(
  env: Record<string, string> = {},
  profileDir?: string,
  store: BaselineStore = 'memory',
): Promise<Target> {
  const profiling = await profilingFor(profileDir);
  const port = await findFreePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-baseline-'));
  const storeFile = store === 'memory' ? undefined : join(dataDir, 'baseline.sqlite');
  const fixtures: BaselineFixtures = {
    ...baseFixtures,
    port,
    service: { clientId: 'bench-service', clientSecret: randomBytes(32).toString('base64url') },
    app: {
      clientId: 'bench-app',
      clientSecret: randomBytes(32).toString('base64url'),
      redirectUri: BENCH_REDIRECT_URI,
    },
    durableStore:
      store === 'memory' || storeFile === undefined
        ? undefined
        : { file: storeFile, compiled: store.durable.compiled },
  };
  const origin = `http://127.0.0.1:${port}`;
  const server = await startServer('baseline', dataDir, {
    command: process.execPath,
    args: [join(ROOT, 'scripts/bench/baseline-provider.ts')],
    env: {
      PATH: process.env['PATH'] ?? '',
      ...env,
      ...profiling.env,
      BENCH_BASELINE: JSON.stringify(fixtures),
    },
    ready: `${origin}/.well-known/openid-configuration`,
  });
  const profile = await profiling.open('baseline', server.pid);
  const target = await finishStart(server, origin, fixtures, profile, async () => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { ...target, storeFile };
}

/**
 * The floor (scripts/bench/floor-server.ts): a minimal Koa + jose client-credentials endpoint
 * with the same service client, scope and JWT resource.
 */
export async function startFloorTarget(
  env: Record<string, string> = {},
  profileDir?: string,
): Promise<Target> {
  const profiling = await profilingFor(profileDir);
  const port = await findFreePort();
  const fixtures: FloorFixtures = {
    ...baseFixtures,
    port,
    service: { clientId: 'floor-service', clientSecret: randomBytes(32).toString('base64url') },
    app: { clientId: 'floor-app', clientSecret: '', redirectUri: BENCH_REDIRECT_URI },
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-floor-'));
  const origin = `http://127.0.0.1:${port}`;
  const server = await startServer('floor', dataDir, {
    command: process.execPath,
    args: [join(ROOT, 'scripts/bench/floor-server.ts')],
    env: {
      PATH: process.env['PATH'] ?? '',
      ...env,
      ...profiling.env,
      BENCH_FLOOR: JSON.stringify(fixtures),
    },
    ready: `${origin}/ready`,
  });
  const profile = await profiling.open('floor', server.pid);
  return finishStart(server, origin, fixtures, profile, async () => {
    rmSync(dataDir, { recursive: true, force: true });
  });
}

/** A server process logging to `dataDir`, once `ready` answers 200 (or an error with its log). */
async function startServer(
  name: string,
  dataDir: string,
  options: { command: string; args: string[]; env: NodeJS.ProcessEnv; ready: string },
): Promise<LoggedProcess> {
  const server = await spawnLogged({
    command: options.command,
    args: options.args,
    env: options.env,
    logFile: join(dataDir, `${name}.log`),
  });
  await waitUntilReady({
    name,
    process: server,
    probe: async () => {
      const response = await fetch(options.ready);
      if (response.status !== 200) throw new Error(`${options.ready} answered ${response.status}`);
    },
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 100,
  });
  return server;
}

export async function startTesseraTarget(options: TesseraTargetOptions): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const profiling = await profilingFor(
    options.profileDir,
    options.workers !== undefined && options.workers > 1,
  );
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
  const entry = options.built ? 'dist/src/main.js' : 'src/main.ts';
  const origin = `http://127.0.0.1:${port}`;
  const server = await startServer('tessera', dataDir, {
    command: process.execPath,
    args: [join(ROOT, entry)],
    env: { ...env, ...profiling.env },
    ready: `${origin}/readyz`,
  });
  const profile = await profiling.open('tessera', server.pid);
  return finishStart(server, origin, fixtures, profile, async (status) => {
    // A Tessera that died under load leaves its log's last lines for the reader.
    if (status.code !== 0 && status.signal !== 'SIGTERM') {
      process.stderr.write(
        `tessera exited (${describeExit(status)}):\n${await readLogTail(server.logFile, 20)}\n`,
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
  server: LoggedProcess,
  origin: string,
  fixtures: BenchFixtures,
  profile: ProfileWindow | undefined,
  cleanUp: (status: ExitStatus) => Promise<void>,
): Promise<Target> {
  // Let startup work (module compilation, first GC) settle before calling it idle.
  await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
  return {
    origin,
    pid: server.pid,
    fixtures,
    idleRssMb: rssMb(server.pid),
    profile,
    async stop() {
      profile?.close();
      await cleanUp(await server.stop(STOP_GRACE_MS));
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
    for (const username of BENCH_USERNAMES) {
      await tessera.accounts.create({ username, password: BENCH_PASSWORD });
    }
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
