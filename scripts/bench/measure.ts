/**
 * One measurement: warm a target up, then load it for the scenario's duration while its CPU time
 * and resident memory are read from /proc.
 */
import type { AutocannonRequest } from 'autocannon';

import { runLoad, type LoadResult } from './load.ts';
import { cpuMs, sampleRss } from './process-stats.ts';
import type { Target } from './targets.ts';

export interface Row {
  /** `tessera`, `baseline`, or a phase label within a scenario. */
  readonly target: string;
  /** What `rate` counts: requests, or whole sign-ins. */
  readonly unit: 'req' | 'login';
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU (user + system, whole process tree) per unit, ms. */
  readonly cpuMsPerUnit: number;
  readonly peakRssMb: number;
  readonly idleRssMb: number;
  readonly completed: number;
  readonly failures: number;
  readonly statuses: Record<string, number>;
}

export interface MeasureOptions {
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly requests: () => AutocannonRequest[];
  readonly overallRate?: number | undefined;
  readonly ok?: (status: number) => boolean;
}

/** Loads the target: warm-up (discarded), then the measured run. */
export async function measure(
  target: Target,
  label: string,
  options: MeasureOptions,
): Promise<Row> {
  const load = (durationS: number) =>
    runLoad({
      origin: target.origin,
      connections: options.connections,
      durationS,
      requests: options.requests(),
      overallRate: options.overallRate,
      ...(options.ok ? { ok: options.ok } : {}),
    });
  if (options.warmupS > 0) await load(options.warmupS);
  const observed = await observe(target, () => load(options.durationS));
  return toRow(label, 'req', observed.result, observed, target.idleRssMb);
}

/** Runs `work` while reading the target's CPU time and peak RSS. */
export async function observe<T>(
  target: Target,
  work: () => Promise<T>,
): Promise<{ result: T; cpuMs: number; peakRssMb: number }> {
  const cpuBefore = cpuMs(target.pid);
  const rss = sampleRss(target.pid);
  const result = await work();
  const cpu = cpuMs(target.pid) - cpuBefore;
  return { result, cpuMs: cpu, peakRssMb: rss.stop().peakMb };
}

export function toRow(
  label: string,
  unit: Row['unit'],
  load: LoadResult,
  observed: { cpuMs: number; peakRssMb: number },
  idleRssMb: number,
): Row {
  return {
    target: label,
    unit,
    rate: load.rps,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    cpuMsPerUnit: load.responses > 0 ? observed.cpuMs / load.responses : NaN,
    peakRssMb: observed.peakRssMb,
    idleRssMb,
    completed: load.responses,
    failures: load.failures,
    statuses: load.statuses,
  };
}
