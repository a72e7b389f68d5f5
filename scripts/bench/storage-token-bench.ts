/**
 * Token endpoint throughput (client credentials, ES256 JWT) on the SQLite and the MongoDB store in
 * one run, and the number of MongoDB commands one such request sends (driver command
 * monitoring). Bounded: a fixed number of requests per round, each round capped in time.
 *
 *   npm run bench:storage                      # FerretDB started here
 *   MONGODB_URI=mongodb://… npm run bench:storage   # against that server instead
 *   BENCH_REQUESTS=4000 BENCH_CONCURRENCY=32 npm run bench:storage
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { CommandStartedEvent } from 'mongodb';

import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { openMongoStorage } from '../../adapters/mongodb/open-mongodb-storage.ts';
import { migrateMongoDatabase } from '../../adapters/mongodb/run-migrations.ts';
import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { startTessera, type Tessera } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/create-logger.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { startFerretDb, type FerretDbHandle } from '../test-services/ferretdb.ts';
import { basicAuthorization, benchSecrets } from './fixtures.ts';
import { percentile } from './load.ts';
import type { LoadJob, LoadResult } from './token-load-worker.ts';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 2000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);
const ROUND_MAX_MS = 60_000;
const WARMUP_REQUESTS = 200;
const COUNTED_REQUESTS = 50;
const API = 'https://bench.example.com/api';

interface Target {
  readonly name: 'sqlite' | 'mongodb';
  readonly tessera: Tessera;
  readonly dataDir: string;
  readonly job: Omit<LoadJob, 'requests' | 'maxMs'>;
}

function runLoad(job: LoadJob): Promise<LoadResult> {
  const worker = new Worker(new URL('./token-load-worker.ts', import.meta.url), {
    workerData: job,
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (result: LoadResult) => resolve(result));
    worker.once('error', reject);
  }).finally(() => worker.terminate()) as Promise<LoadResult>;
}

async function startTarget(name: Target['name'], storage: Storage): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), `tessera-bench-${name}-`));
  const config = loadConfig({
    PORT: '0',
    TESSERA_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...benchSecrets(),
  });
  const tessera = await startTessera(config, { logger: createLogger('silent'), storage });
  await tessera.resourceServers.create({ audience: API, scopes: ['bench'] });
  const { client, secret } = await tessera.clients.create({
    name: 'bench',
    metadata: { grant_types: ['client_credentials'], scope: 'bench' },
  });
  return {
    name,
    tessera,
    dataDir,
    job: {
      url: `${tessera.issuer}/token`,
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        resource: API,
        scope: 'bench',
      }).toString(),
      authorization: basicAuthorization(client.clientId, secret?.secret ?? ''),
      concurrency: CONCURRENCY,
    },
  };
}

async function main(): Promise<void> {
  let ferretDb: FerretDbHandle | undefined;
  const uri = process.env['MONGODB_URI'] ?? (ferretDb = await startFerretDb()).uri;
  const sqliteDir = mkdtempSync(join(tmpdir(), 'tessera-bench-sqlite-'));
  const dbName = `tessera_bench_${randomBytes(4).toString('hex')}`;
  const commands: CommandStartedEvent[] = [];
  const targets: Target[] = [];
  try {
    const mongoStorage = await openMongoStorage({
      uri,
      dbName,
      clientOptions: { monitorCommands: true },
    });
    await migrateMongoDatabase(mongoStorage.client.db(dbName));
    const mongoClient = mongoStorage.client;
    targets.push(
      await startTarget('sqlite', openSqliteStorage({ path: join(sqliteDir, 'bench.sqlite') })),
      await startTarget('mongodb', mongoStorage),
    );
    for (const target of targets) {
      await runLoad({ ...target.job, requests: WARMUP_REQUESTS, maxMs: ROUND_MAX_MS });
    }

    // Commands per request, counted on sequential requests after warm-up.
    const count = (event: CommandStartedEvent) => commands.push(event);
    mongoClient.on('commandStarted', count);
    const mongodb = targets[1] as Target;
    await runLoad({ ...mongodb.job, concurrency: 1, requests: COUNTED_REQUESTS, maxMs: 30_000 });
    mongoClient.off('commandStarted', count);
    const byName = Object.entries(
      commands.reduce<Record<string, number>>((acc, { commandName, command }) => {
        const key = `${commandName} ${String(command[commandName])}`;
        acc[key] = (acc[key] ?? 0) + 1;
        return acc;
      }, {}),
    ).map(([command, n]) => `${command} ×${(n / COUNTED_REQUESTS).toFixed(2)}`);

    const rows: string[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const target of targets) {
        const result = await runLoad({ ...target.job, requests: REQUESTS, maxMs: ROUND_MAX_MS });
        const sorted = [...result.latenciesMs].sort((a, b) => a - b);
        rows.push(
          [
            target.name.padEnd(8),
            String(round).padStart(5),
            String(sorted.length).padStart(8),
            ((sorted.length / result.elapsedMs) * 1000).toFixed(0).padStart(7),
            percentile(sorted, 50).toFixed(1).padStart(7),
            percentile(sorted, 99).toFixed(1).padStart(7),
            String(result.failures).padStart(8),
          ].join(' '),
        );
      }
    }
    const server = mongoStorage.capabilities.server;
    console.log(`client credentials (JWT, resource indicator), ${CONCURRENCY} in flight`);
    console.log(`MongoDB store: ${server}`);
    console.log('store     round requests   req/s p50(ms) p99(ms) failures');
    for (const row of rows) console.log(row);
    console.log(
      `MongoDB commands per token request: ${(commands.length / COUNTED_REQUESTS).toFixed(2)} (${byName.join(', ')})`,
    );
  } finally {
    for (const target of targets) {
      await target.tessera.stop();
      rmSync(target.dataDir, { recursive: true, force: true });
    }
    const cleanup = createMongoClient(uri);
    await cleanup
      .db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await cleanup.close();
    await ferretDb?.stop();
    if (ferretDb) rmSync(ferretDb.dataDir, { recursive: true, force: true });
    rmSync(sqliteDir, { recursive: true, force: true });
  }
}

await main();
