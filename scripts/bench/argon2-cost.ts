/**
 * What one argon2id password hash costs on this machine, in this run: the floor of a sign-in's
 * server CPU (a password sign-in verifies one hash). Measured in the benchmark's own process,
 * after the load stopped, with the parameters the measured Tessera uses (`--env
 * TESSERA_ARGON2_*`, else its defaults, src/config/env/sign-in.ts) and `crypto.argon2Sync`, as
 * Tessera's argon2 workers hash (src/services/passwords/argon2-worker.ts).
 */
import { argon2Sync, randomBytes } from 'node:crypto';

import { percentile } from './load.ts';
import type { Row } from './measure.ts';

const HASHES = 20;

export function measureArgon2Hash(env: Record<string, string>): Row {
  const parameter = (name: string, fallback: number) => Number(env[name] ?? fallback);
  const options = {
    message: 'correct horse battery staple',
    nonce: randomBytes(16),
    memory: parameter('TESSERA_ARGON2_MEMORY_KIB', 19_456),
    passes: parameter('TESSERA_ARGON2_ITERATIONS', 2),
    parallelism: parameter('TESSERA_ARGON2_PARALLELISM', 1),
    tagLength: 32,
  };
  argon2Sync('argon2id', options);
  const latenciesMs: number[] = [];
  const before = process.cpuUsage();
  for (let index = 0; index < HASHES; index += 1) {
    const started = performance.now();
    argon2Sync('argon2id', options);
    latenciesMs.push(performance.now() - started);
  }
  const used = process.cpuUsage(before);
  const cpuMsPerUnit = (used.user + used.system) / 1000 / HASHES;
  latenciesMs.sort((a, b) => a - b);
  return {
    target: 'argon2 hash',
    unit: 'hash',
    rate: 1000 / cpuMsPerUnit,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    cpuMsPerUnit,
    storeCpuMsPerUnit: undefined,
    storeRoundTripsPerUnit: undefined,
    storeCommands: undefined,
    peakRssMb: NaN,
    idleRssMb: NaN,
    completed: HASHES,
    failures: 0,
    statuses: {},
  };
}
