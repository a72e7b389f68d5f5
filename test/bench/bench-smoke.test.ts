import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

interface BenchRow {
  readonly target: string;
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuMsPerUnit: number;
  readonly peakRssMb: number;
  readonly completed: number;
  readonly failures: number;
}
interface BenchReport {
  readonly results: readonly {
    readonly name: string;
    readonly rows: readonly BenchRow[];
    readonly ratios: Record<string, number>;
  }[];
}

/**
 * `npm run bench` in miniature: three seconds per run, from source, so the suite keeps the
 * benchmark's servers, request plans, sign-in driver and report working. Numbers are not
 * judged here (this machine is shared and noisy); only that every request succeeded and every
 * column was measured. The runs are timed, so a run must complete one sign-in (eight requests
 * and an argon2id check): three seconds leave room for a second suite on the same cores.
 */
describe('the benchmark suite', () => {
  it('drives Tessera and the baseline and reports every column, with no failed request', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'scripts/bench/bench.ts'),
        ...['--source', '--json', '--duration', '3', '--warmup', '0', '--connections', '4'],
        ...['--logins', '2', '--scenario', 'cc-jwt-sqlite', '--scenario', 'login-sqlite'],
      ],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
    );
    const report = JSON.parse(stdout) as BenchReport;
    expect(report.results.map((result) => result.name)).toEqual(['cc-jwt-sqlite', 'login-sqlite']);

    const [tokens, signIns] = report.results;
    expect(tokens?.rows.map((row) => row.target)).toEqual(['tessera', 'baseline', 'floor']);
    expect(tokens?.ratios['cpu/req vs floor']).toBeGreaterThan(0);
    const [signInRow, hashRow, baselineSignIns] = signIns?.rows ?? [];
    const signInRows = [signInRow, baselineSignIns].filter((row) => row !== undefined);
    for (const row of [...(tokens?.rows ?? []), ...signInRows]) {
      expect(row.failures).toBe(0);
      expect(row.completed).toBeGreaterThan(0);
      for (const value of [row.rate, row.p50Ms, row.p99Ms, row.cpuMsPerUnit, row.peakRssMb])
        expect(value).toBeGreaterThan(0);
    }
    expect(tokens?.ratios['req/s']).toBeGreaterThan(0);
    expect(signIns?.rows.map((row) => row.target)).toEqual(['sign-ins', 'argon2 hash', 'baseline']);
    // The hash's own cost, measured in the same run, is what a sign-in's CPU is compared with:
    // alone in the bench process, and as the server's argon2 threads paid it during the load.
    expect(hashRow?.cpuMsPerUnit).toBeGreaterThan(0);
    expect(signIns?.ratios['cpu ms/sign-in − argon2 hash']).toEqual(expect.any(Number));
    expect(signIns?.ratios['cpu ms/sign-in − argon2 threads']).toEqual(expect.any(Number));
    expect(signIns?.ratios['argon2 threads ms/sign-in ÷ hash']).toBeGreaterThan(0);
  }, 270_000);
});
