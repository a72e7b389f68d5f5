/**
 * The benchmark suite (npm run bench): real Tessera processes against bare oidc-provider over
 * loopback, scenario by scenario. See docs/benchmarks.md "Benchmarks" for how to read the output.
 *
 *   npm run bench                                   # every scenario, 15 s each after 3 s warm-up
 *   npm run bench -- --scenario cc-jwt-mongodb --duration 5
 *   npm run bench -- --json > bench.json
 *   npm run bench -- --soak                         # adds the 5-minute memory soak (SQLite)
 *   MONGODB_URI=mongodb://… npm run bench           # a real MongoDB instead of FerretDB
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { startFerretDb, type FerretDbHandle } from '../test-services/ferretdb.ts';
import { startCountingProxy, type CountingProxy } from './counting-proxy.ts';
import { formatTable } from './report.ts';
import type { BenchSettings, ScenarioResult } from './comparison.ts';
import { SCENARIOS } from './scenarios.ts';
import { formatSoak, SOAKS, type SoakResult } from './soak.ts';

const USAGE = `usage: npm run bench -- [options]
  --scenario NAME     run only this scenario (repeatable; --list shows them)
  --duration S        measured seconds per run (default 15, at most 120)
  --warmup S          warm-up seconds before each run (default 3)
  --connections N     concurrent connections (default 32)
  --logins N          concurrent sign-ins in the sign-in scenarios (default 8)
  --mixed-rate N      client-credentials req/s in cc-during-logins (default 500)
  --workers N         TESSERA_WORKERS for the cluster scenario (default 2)
  --soak              also run the memory soak on SQLite (5 minutes; --soak-minutes M);
                      --scenario soak-mongodb runs it on MongoDB
  --store-direct      connect Tessera straight to MongoDB, without the proxy that counts
                      its round trips (store rt)
  --env NAME=VALUE    extra environment for every Tessera process (repeatable), e.g. LOG_LEVEL=warn
  --source            run src/main.ts (type stripping, ~28 MB more RSS) instead of the
                      production build (dist/src/main.js, built first)
  --profile DIR       write V8 CPU profiles of every server into DIR, one per measured run
                      (warm-up and seeding excluded; cluster workers: whole life)
  --json              print JSON instead of tables
  --list              list the scenarios and exit`;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    logins: { type: 'string', default: '8' },
    'mixed-rate': { type: 'string', default: '500' },
    workers: { type: 'string', default: '2' },
    soak: { type: 'boolean', default: false },
    'store-direct': { type: 'boolean', default: false },
    'soak-minutes': { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    profile: { type: 'string' },
    env: { type: 'string', multiple: true },
    source: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

function positive(name: string, raw: string, max: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    process.stderr.write(`--${name} must be a number in (0, ${max}]\n${USAGE}\n`);
    process.exit(2);
  }
  return value;
}

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.list) {
  for (const scenario of SCENARIOS)
    process.stdout.write(`${scenario.name}\t${scenario.description}\n`);
  for (const soak of SOAKS) process.stdout.write(`${soak.name}\t${soak.description}\n`);
  process.exit(0);
}

const unknown = (values.scenario ?? []).filter(
  (name) => ![...SCENARIOS, ...SOAKS].some((scenario) => scenario.name === name),
);
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario: ${unknown.join(', ')} (see --list)\n`);
  process.exit(2);
}
const selected = values.scenario
  ? SCENARIOS.filter((scenario) => values.scenario?.includes(scenario.name))
  : SCENARIOS;
const soaks = SOAKS.filter(
  (soak, index) => (values.soak && index === 0) || (values.scenario?.includes(soak.name) ?? false),
);
const needsMongo = [...selected, ...soaks].some((scenario) => scenario.name.endsWith('mongodb'));

const log = (line: string) => process.stderr.write(`${line}\n`);

// Every option is checked before anything starts: a typo must not surface after the scenarios.
const soakMinutes = positive('soak-minutes', values['soak-minutes'], 60);
const warmupS = Number(values.warmup);
if (values.warmup.trim() === '' || !Number.isFinite(warmupS) || warmupS < 0 || warmupS > 60) {
  process.stderr.write(`--warmup must be a number in [0, 60]\n${USAGE}\n`);
  process.exit(2);
}
const durationS = positive('duration', values.duration, 120);
const connections = positive('connections', values.connections, 1000);
const signInConnections = positive('logins', values.logins, 256);
const mixedRate = positive('mixed-rate', values['mixed-rate'], 100_000);
const workers = positive('workers', values.workers, 64);

// Tessera runs as it ships (dist/, what the Dockerfile starts) unless --source says otherwise.
if (!values.source) {
  const build = spawnSync(process.execPath, [resolve(import.meta.dirname, '../build.ts')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) {
    log('npm run build failed; fix it or run with --source');
    process.exit(1);
  }
}

let ferretDb: FerretDbHandle | undefined;
let proxy: CountingProxy | undefined;
try {
  const storeUri = needsMongo
    ? (process.env['MONGODB_URI'] ?? (ferretDb = await startFerretDb()).uri)
    : '';
  const profileDir = values.profile ? resolve(values.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  // Tessera reaches MongoDB through a proxy that counts what it sends (store round trips).
  if (needsMongo && !values['store-direct']) proxy = await startCountingProxy(storeUri);
  const mongodbUri = proxy?.uri ?? storeUri;
  const settings: BenchSettings = {
    durationS,
    warmupS,
    connections,
    signInConnections,
    mixedRate,
    mongodbUri,
    workers,
    tesseraEnv: {
      ...Object.fromEntries(
        (values.env ?? []).map((pair) => [
          pair.split('=')[0] ?? '',
          pair.split('=').slice(1).join('='),
        ]),
      ),
    },
    baselineEnv: {},
    profileDir,
    store: {
      pid: ferretDb?.pid(),
      messagesSent: proxy?.messagesSent,
      commandsSent: proxy?.commandsSent,
    },
    built: !values.source,
  };
  log(
    `tessera bench: ${cpus().length} CPUs, node ${process.version}, ` +
      `${settings.durationS} s per run after ${settings.warmupS} s warm-up, ` +
      `${settings.connections} connections; MongoDB: ${ferretDb ? 'FerretDB (started here)' : storeUri || 'not used'}` +
      (proxy ? ', through the counting proxy' : ''),
  );
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    log(`running ${scenario.name}…`);
    results.push(await scenario.run(settings));
  }
  const soakResults: SoakResult[] = [];
  for (const soak of soaks) {
    log(`running ${soak.name} (${soakMinutes} minutes)…`);
    soakResults.push(await soak.run(settings, soakMinutes));
  }
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ settings: { ...settings, mongodbUri: undefined }, results, soaks: soakResults }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${formatTable(results)}\n`);
    for (const soak of soakResults) process.stdout.write(`\n${formatSoak(soak)}\n`);
  }
} finally {
  await proxy?.close();
  await ferretDb?.stop();
  if (ferretDb) rmSync(ferretDb.dataDir, { recursive: true, force: true });
}
