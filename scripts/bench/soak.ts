/**
 * The memory soak (npm run bench -- --soak): Tessera under client-credentials load (JWT and
 * opaque tokens alternating) for some minutes, its RSS sampled from /proc. A leak shows as a
 * positive slope; the slope over the second half excludes warm-up growth (JIT, pools).
 *
 * `--soak` runs it on SQLite, where the load stays at full rate for the whole run; on FerretDB
 * (`--scenario soak-mongodb`) every opaque-token write scans its collection (docs/benchmarks.md
 * "Benchmarks"), so the rate falls as the run goes on and the soak measures FerretDB.
 */
import { runLoad } from './load.ts';
import { observe } from './measure.ts';
import { clientCredentialsPlan } from './request-plans.ts';
import { tesseraOptions, type BenchSettings } from './comparison.ts';
import { rssMb } from './process-stats.ts';
import { startTesseraTarget, type Store } from './targets.ts';

export interface SoakResult {
  readonly name: string;
  readonly minutes: number;
  readonly rate: number;
  readonly failures: number;
  readonly idleRssMb: number;
  readonly firstRssMb: number;
  readonly lastRssMb: number;
  readonly peakRssMb: number;
  /** RSS a minute (REST_S) after the load stopped, idle all along. */
  readonly restedRssMb: number;
  /** Least-squares slope of RSS over the whole run and over its second half, MB per minute. */
  readonly slopeMbPerMin: number;
  readonly secondHalfSlopeMbPerMin: number;
  readonly cpuMsPerRequest: number;
}

const SAMPLE_MS = 2000;
/** Load before the sampled run, so JIT and pool start-up are not the first samples. */
const WARMUP_S = 5;
/** How long the server rests after the load before its RSS is read again (issue target: 1 minute). */
const REST_S = 60;

function slope(points: readonly { atMs: number; mb: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const meanX = points.reduce((sum, p) => sum + p.atMs, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.atMs - meanX) * (p.mb - meanY);
    den += (p.atMs - meanX) ** 2;
  }
  return (num / den) * 60_000;
}

export interface Soak {
  readonly name: string;
  readonly description: string;
  run(settings: BenchSettings, minutes: number): Promise<SoakResult>;
}

const createSoak = (store: Store): Soak => ({
  name: `soak-${store}`,
  description: `memory soak: client credentials (JWT + opaque alternating) at full load, ${store} store`,
  async run(settings, minutes) {
    const target = await startTesseraTarget(tesseraOptions(settings, store));
    try {
      const { fixtures } = target;
      const load = (durationS: number) =>
        runLoad({
          origin: target.origin,
          connections: settings.connections,
          durationS,
          requests: [
            ...clientCredentialsPlan(fixtures, fixtures.jwtApi),
            ...clientCredentialsPlan(fixtures, fixtures.opaqueApi),
          ],
        });
      await load(WARMUP_S);
      const observed = await observe(target, () => load(minutes * 60), undefined, SAMPLE_MS);
      const samples = observed.rssSamples;
      const half = samples.filter((s) => s.atMs >= (minutes * 60_000) / 2);
      await new Promise((resolveRest) => setTimeout(resolveRest, REST_S * 1000));
      const restedRssMb = rssMb(target.pid);
      return {
        name: `soak-${store}`,
        minutes,
        rate: observed.result.rps,
        failures: observed.result.failures,
        idleRssMb: target.idleRssMb,
        firstRssMb: samples[0]?.mb ?? NaN,
        lastRssMb: samples.at(-1)?.mb ?? NaN,
        peakRssMb: observed.peakRssMb,
        restedRssMb,
        slopeMbPerMin: slope(samples),
        secondHalfSlopeMbPerMin: slope(half),
        cpuMsPerRequest: observed.cpuMs / observed.result.responses,
      };
    } finally {
      await target.stop();
    }
  },
});

/** `--soak` runs the first; any may be named with --scenario. */
export const SOAKS: readonly Soak[] = [createSoak('sqlite'), createSoak('mongodb')];

export function formatSoak(result: SoakResult): string {
  const mb = (value: number) => `${value.toFixed(1)} MB`;
  return [
    `${result.name}: ${result.minutes} min of client credentials at ${result.rate.toFixed(0)} req/s (${result.failures} failed, ${result.cpuMsPerRequest.toFixed(3)} ms CPU/req)`,
    `  RSS idle ${mb(result.idleRssMb)}, at start of load ${mb(result.firstRssMb)}, at end ${mb(result.lastRssMb)}, peak ${mb(result.peakRssMb)}`,
    `  RSS ${REST_S} s after the load stopped ${mb(result.restedRssMb)}: ${(result.restedRssMb / result.idleRssMb).toFixed(2)}× idle`,
    `  RSS slope ${result.slopeMbPerMin.toFixed(2)} MB/min over the run, ${result.secondHalfSlopeMbPerMin.toFixed(2)} MB/min over its second half`,
  ].join('\n');
}
