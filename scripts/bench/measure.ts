/**
 * One measurement: warm a target up, then load it for the scenario's duration while its CPU time
 * and resident memory are read from /proc.
 */
import type { AutocannonRequest } from 'autocannon';

import { mergeLoads, runLoad, type LoadResult } from './load.ts';
import { cpuMs, sampleRss } from './process-stats.ts';
import type { Target } from './targets.ts';

export interface Row {
  /** `tessera`, `baseline`, or a phase label within a scenario. */
  readonly target: string;
  /** What `rate` counts: requests, whole sign-ins, or argon2id hashes (argon2-cost.ts). */
  readonly unit: 'req' | 'login' | 'hash';
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU (user + system, whole process tree) per unit, ms. */
  readonly cpuMsPerUnit: number;
  /** CPU of the store's own process (FerretDB started by the benchmark) per unit, ms. */
  readonly storeCpuMsPerUnit: number | undefined;
  /** Messages Tessera sent the MongoDB server per unit, counted by the bench's proxy. */
  readonly storeRoundTripsPerUnit: number | undefined;
  /** Those messages by command and collection, in all (÷ `completed` for per unit). */
  readonly storeCommands: Record<string, number> | undefined;
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
  /** The store server, when a MongoDB scenario uses one: its CPU and messages count too. */
  readonly store?: StoreWatch | undefined;
}

/** What the bench can see of the MongoDB server behind a target. */
export interface StoreWatch {
  /** Its pid when the benchmark started it (FerretDB), to count its CPU. */
  readonly pid: number | undefined;
  /** Messages sent to it so far, through the counting proxy (counting-proxy.ts). */
  readonly messagesSent: (() => number) | undefined;
  /** The same messages by command and collection so far. */
  readonly commandsSent: (() => Promise<Record<string, number>>) | undefined;
}

/** One load run of `durationS` seconds against the target, as the options describe. */
function loadFor(target: Target, options: MeasureOptions, durationS: number): Promise<LoadResult> {
  return runLoad({
    origin: target.origin,
    connections: options.connections,
    durationS,
    requests: options.requests(),
    overallRate: options.overallRate,
    ...(options.ok ? { ok: options.ok } : {}),
  });
}

/** Loads the target: warm-up (discarded), then the measured run. */
export async function measure(
  target: Target,
  label: string,
  options: MeasureOptions,
): Promise<Row> {
  const load = (durationS: number) => loadFor(target, options, durationS);
  if (options.warmupS > 0) await load(options.warmupS);
  const observed = await observe(target, () => load(options.durationS), options.store);
  return toRow(label, 'req', observed.result, observed, target.idleRssMb);
}

export interface Contender {
  readonly label: string;
  readonly target: Target;
  readonly options: MeasureOptions;
}

/**
 * Measures several targets in alternating rounds (A B A B A B), each round a share of the
 * duration, so that a change in the machine's other load (it is shared) hits every target
 * alike and the ratios between them stay meaningful.
 */
export async function measureInterleaved(
  contenders: readonly Contender[],
  rounds: number,
): Promise<Row[]> {
  const runs = contenders.map(() => [] as Observed<LoadResult>[]);
  const load = ({ target, options }: Contender, durationS: number) =>
    loadFor(target, options, durationS);
  for (const contender of contenders) {
    if (contender.options.warmupS > 0) await load(contender, contender.options.warmupS);
  }
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, contender] of contenders.entries()) {
      const share = contender.options.durationS / rounds;
      runs[index]?.push(
        await observe(contender.target, () => load(contender, share), contender.options.store),
      );
    }
  }
  return contenders.map((contender, index) => {
    const done = runs[index] ?? [];
    return toRow(
      contender.label,
      'req',
      mergeLoads(done.map((run) => run.result)),
      {
        cpuMs: done.reduce((sum, run) => sum + run.cpuMs, 0),
        storeCpuMs: sumOf(done.map((run) => run.storeCpuMs)),
        storeMessages: sumOf(done.map((run) => run.storeMessages)),
        storeCommands: addTallies(done.map((run) => run.storeCommands)),
        peakRssMb: Math.max(...done.map((run) => run.peakRssMb)),
      },
      contender.target.idleRssMb,
    );
  });
}

/** The sum, or undefined when nothing was measured. */
const sumOf = (values: readonly (number | undefined)[]): number | undefined =>
  values.every((value) => value === undefined)
    ? undefined
    : values.reduce<number>((sum, value) => sum + (value ?? 0), 0);

/** Tallies added key by key, or undefined when none was taken. */
function addTallies(
  tallies: readonly (Record<string, number> | undefined)[],
): Record<string, number> | undefined {
  if (tallies.every((tally) => tally === undefined)) return undefined;
  const sum: Record<string, number> = {};
  for (const tally of tallies) {
    for (const [key, count] of Object.entries(tally ?? {})) sum[key] = (sum[key] ?? 0) + count;
  }
  return sum;
}

/** What the tally `after` counted since `before`, keys that did not move left out. */
function subtractTally(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, count]) => [key, count - (before[key] ?? 0)] as const)
      .filter(([, count]) => count > 0),
  );
}

export interface Observed<T> {
  readonly result: T;
  readonly cpuMs: number;
  readonly storeCpuMs: number | undefined;
  readonly storeMessages: number | undefined;
  readonly storeCommands: Record<string, number> | undefined;
  readonly peakRssMb: number;
  /** The RSS readings behind peakRssMb, ms since the start of `work`. */
  readonly rssSamples: readonly { readonly atMs: number; readonly mb: number }[];
}

/**
 * Runs `work` while reading the target's (and the store server's) CPU time and its RSS every
 * `rssSampleMs` (a long run such as the soak samples less often: the load generator reading
 * /proc shares the cores being measured). With --profile, the target's CPU profile covers
 * exactly this run (cpu-profile.ts).
 */
export async function observe<T>(
  target: Target,
  work: () => Promise<T>,
  store?: StoreWatch,
  rssSampleMs = 250,
): Promise<Observed<T>> {
  await target.profile?.start();
  const storePid = store?.pid;
  const messagesSent = store?.messagesSent;
  const cpuBefore = cpuMs(target.pid);
  const storeBefore = storePid === undefined ? 0 : cpuMs(storePid);
  const messagesBefore = messagesSent?.() ?? 0;
  const commandsBefore = await store?.commandsSent?.();
  const rss = sampleRss(target.pid, rssSampleMs);
  const result = await work();
  const { peakMb, samples } = rss.stop();
  await target.profile?.stop();
  const commandsAfter = await store?.commandsSent?.();
  return {
    result,
    cpuMs: cpuMs(target.pid) - cpuBefore,
    storeCpuMs: storePid === undefined ? undefined : cpuMs(storePid) - storeBefore,
    storeMessages: messagesSent === undefined ? undefined : messagesSent() - messagesBefore,
    storeCommands:
      commandsAfter === undefined ? undefined : subtractTally(commandsAfter, commandsBefore ?? {}),
    peakRssMb: peakMb,
    rssSamples: samples,
  };
}

export function toRow(
  label: string,
  unit: Row['unit'],
  load: LoadResult,
  observed: {
    cpuMs: number;
    storeCpuMs?: number | undefined;
    storeMessages?: number | undefined;
    storeCommands?: Record<string, number> | undefined;
    peakRssMb: number;
  },
  idleRssMb: number,
): Row {
  return {
    target: label,
    unit,
    rate: load.rps,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    cpuMsPerUnit: load.responses > 0 ? observed.cpuMs / load.responses : NaN,
    storeCpuMsPerUnit:
      observed.storeCpuMs === undefined || load.responses === 0
        ? undefined
        : observed.storeCpuMs / load.responses,
    storeRoundTripsPerUnit:
      observed.storeMessages === undefined || load.responses === 0
        ? undefined
        : observed.storeMessages / load.responses,
    storeCommands: observed.storeCommands,
    peakRssMb: observed.peakRssMb,
    idleRssMb,
    completed: load.responses,
    failures: load.failures,
    statuses: load.statuses,
  };
}
