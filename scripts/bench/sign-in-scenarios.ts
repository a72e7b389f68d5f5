/**
 * The sign-in scenarios: whole password sign-ins through Tessera's pages, their CPU against the
 * argon2 hash's own, and client-credentials latency while they run.
 */
import { measureArgon2Hash } from './argon2-cost.ts';
import { storeFor, tesseraOptions, type BenchSettings, type Scenario } from './comparison.ts';
import { measure, observe, toRow, type Row, type StoreWatch } from './measure.ts';
import { runLoad } from './load.ts';
import {
  clientCredentialsPlan,
  newSignInCounts,
  signInLatency,
  signInPlan,
} from './request-plans.ts';
import { measureSignInCost } from './sign-in-cost.ts';
import { startBaselineTarget, startTesseraTarget, type Store, type Target } from './targets.ts';

/** Whole sign-ins through Tessera's pages: `rate` counts sign-ins, latency is per sign-in. */
async function measureSignIns(
  target: Target,
  settings: BenchSettings,
  durationS: number,
  storeWatch: StoreWatch | undefined,
): Promise<Row> {
  const counts = newSignInCounts();
  const load = () =>
    runLoad({
      origin: target.origin,
      connections: settings.signInConnections,
      durationS,
      requests: signInPlan(target.fixtures, counts),
      ok: (status) => status < 400,
    });
  const observed = await observe(target, load, storeWatch);
  const row = toRow('sign-ins', 'login', observed.result, observed, target.idleRssMb);
  const elapsed = observed.result.durationS;
  return {
    ...row,
    rate: counts.completed / elapsed,
    ...signInLatency(counts),
    cpuMsPerUnit: observed.cpuMs / Math.max(1, counts.completed),
    storeCpuMsPerUnit:
      observed.storeCpuMs === undefined
        ? undefined
        : observed.storeCpuMs / Math.max(1, counts.completed),
    storeRoundTripsPerUnit:
      observed.storeMessages === undefined
        ? undefined
        : observed.storeMessages / Math.max(1, counts.completed),
    completed: counts.completed,
    failures: counts.failed + observed.result.failures,
  };
}

export const signIns = (store: Store): Scenario => ({
  name: `login-${store}`,
  description: `password sign-in through the pages (8 requests: authorize, login page + POST, consent page + POST, redirects, code exchange), argon2id, ${store} store; the baseline runs the same flow on oidc-provider's development pages, which check no password`,
  async run(settings) {
    const load = { connections: settings.signInConnections };
    const measureOn = async (target: Target, store?: StoreWatch) => {
      await measureSignInCost(target, { ...load, durationS: settings.warmupS }, store);
      return measureSignInCost(target, { ...load, durationS: settings.durationS }, store);
    };
    const tessera = await startTesseraTarget(tesseraOptions(settings, store));
    const signIns = await measureOn(tessera, storeFor(settings, store)).finally(() =>
      tessera.stop(),
    );
    const hash = measureArgon2Hash(settings.tesseraEnv);
    const baselineTarget = await startBaselineTarget(settings.baselineEnv);
    const baseline = await measureOn(baselineTarget).finally(() => baselineTarget.stop());
    const { row, perSignIn } = signIns;
    const ms = (value: number) => value.toFixed(1);
    return {
      name: this.name,
      description: this.description,
      rows: [row, hash, { ...baseline.row, target: 'baseline' }],
      ratios: {
        'logins/s vs 80': row.rate / 80,
        'cpu ms/sign-in − argon2 hash': row.cpuMsPerUnit - hash.cpuMsPerUnit,
        'cpu ms/sign-in − argon2 threads': row.cpuMsPerUnit - perSignIn.workers,
        'argon2 threads ms/sign-in ÷ hash': perSignIn.workers / hash.cpuMsPerUnit,
      },
      notes: [
        `${settings.signInConnections} concurrent sign-ins; those under way at the end are finished and counted (drained-sign-ins.ts)`,
        `Tessera CPU per sign-in by thread: event loop ${ms(perSignIn.main)} ms, argon2 workers ${ms(perSignIn.workers)} ms (one hash per sign-in, as the server paid it during the load), other threads (GC helpers, libuv) ${ms(perSignIn.other)} ms`,
        `baseline CPU per sign-in by thread: event loop ${ms(baseline.perSignIn.main)} ms, other threads ${ms(baseline.perSignIn.other)} ms`,
        'argon2 hash: one argon2id hash at the same parameters, in the bench process after the load (argon2-cost.ts)',
      ],
    };
  },
});

export const tokensDuringSignIns = (store: Store): Scenario => ({
  name: `cc-during-logins-${store}`,
  description: `client credentials (JWT) at a fixed rate, alone and while sign-ins run, ${store} store`,
  async run(settings) {
    const target = await startTesseraTarget(tesseraOptions(settings, store));
    try {
      const tokens = {
        ...settings,
        store: storeFor(settings, store),
        overallRate: settings.mixedRate,
        requests: () => clientCredentialsPlan(target.fixtures, target.fixtures.jwtApi),
      };
      const alone = await measure(target, 'cc alone', tokens);
      const [during, logins] = await Promise.all([
        measure(target, 'cc + sign-ins', { ...tokens, warmupS: 0 }),
        measureSignIns(target, settings, settings.durationS, storeFor(settings, store)),
      ]);
      return {
        name: this.name,
        description: this.description,
        rows: [alone, during, logins],
        ratios: { 'p99 with/without': during.p99Ms / alone.p99Ms },
        notes: [
          `client credentials at ${settings.mixedRate}/s; ${settings.signInConnections} concurrent sign-ins`,
          'server CPU in the second and third rows covers both loads',
        ],
      };
    } finally {
      await target.stop();
    }
  },
});
