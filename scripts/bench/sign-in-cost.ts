/**
 * What a whole password sign-in costs the server (the login-* scenarios): sign-ins drained at
 * the end (drained-sign-ins.ts) so that CPU ÷ sign-ins counts no abandoned work, and the CPU
 * split by thread — the event loop, the argon2 workers, the rest (GC helpers, libuv) — to set
 * next to one argon2 hash (argon2-cost.ts): the workers' share per sign-in is the hash as the
 * server pays it, the rest is what the sign-in adds.
 */
import { runDrainedSignIns } from './drained-sign-ins.ts';
import { observe, toRow, type Row, type StoreWatch } from './measure.ts';
import { threadCpuMs, type ThreadCpuMs } from './process-stats.ts';
import { newSignInCounts, signInLatency } from './request-plans.ts';
import type { Target } from './targets.ts';

export interface SignInCost {
  readonly row: Row;
  /** Server CPU per sign-in by thread, ms. */
  readonly perSignIn: ThreadCpuMs;
}

export async function measureSignInCost(
  target: Target,
  options: { readonly connections: number; readonly durationS: number },
  store: StoreWatch | undefined,
): Promise<SignInCost> {
  const counts = newSignInCounts();
  const threadsBefore = threadCpuMs(target.pid);
  const observed = await observe(
    target,
    () =>
      runDrainedSignIns({
        origin: target.origin,
        fixtures: target.fixtures,
        connections: options.connections,
        durationS: options.durationS,
        counts,
      }),
    store,
  );
  const threadsAfter = threadCpuMs(target.pid);
  const signIns = Math.max(1, counts.completed);
  const per = (key: keyof ThreadCpuMs) => (threadsAfter[key] - threadsBefore[key]) / signIns;
  const row = toRow('sign-ins', 'login', observed.result, observed, target.idleRssMb);
  return {
    row: {
      ...row,
      rate: counts.completed / observed.result.durationS,
      ...signInLatency(counts),
      cpuMsPerUnit: observed.cpuMs / signIns,
      storeCpuMsPerUnit:
        observed.storeCpuMs === undefined ? undefined : observed.storeCpuMs / signIns,
      storeRoundTripsPerUnit:
        observed.storeMessages === undefined ? undefined : observed.storeMessages / signIns,
      completed: counts.completed,
      failures: counts.failed + observed.result.failures,
    },
    perSignIn: { main: per('main'), workers: per('workers'), other: per('other') },
  };
}
