/**
 * What every scenario shares: the bench's settings, a scenario's shape, and the comparison that
 * runs Tessera beside bare oidc-provider (and the floor, or the durable baseline) in alternating
 * rounds with the same load.
 */
import type { measure } from './measure.ts';
import { measureInterleaved, type Row, type StoreWatch } from './measure.ts';
import {
  startBaselineTarget,
  startFloorTarget,
  startTesseraTarget,
  type Store,
  type Target,
} from './targets.ts';

export interface BenchSettings {
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  /** Concurrent sign-ins (connections) in the sign-in scenarios. */
  readonly signInConnections: number;
  /** Client-credentials requests per second in the "during sign-ins" scenario. */
  readonly mixedRate: number;
  readonly mongodbUri: string;
  readonly workers: number;
  /** Extra environment for every Tessera process (e.g. LOG_LEVEL=warn). */
  readonly tesseraEnv: Record<string, string>;
  /** Extra environment for the baseline (and floor) process. */
  readonly baselineEnv: Record<string, string>;
  /** With --profile: every server's measured runs are profiled into this directory. */
  readonly profileDir: string | undefined;
  /**
   * The MongoDB server of the mongodb scenarios: FerretDB's pid when the benchmark started it
   * (its CPU counts as the store's), and the messages counted by the proxy in front of it.
   */
  readonly store: StoreWatch;
  /** Run the built server (dist/src/main.js, npm run build) instead of src/main.ts. */
  readonly built: boolean;
}

export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  readonly rows: Row[];
  /** Named ratios, e.g. Tessera / baseline req/s. */
  readonly ratios: Record<string, number>;
  readonly notes: string[];
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(settings: BenchSettings): Promise<ScenarioResult>;
}

export type PlanFor = (target: Target) => Promise<Parameters<typeof measure>[2]>;

/** How every scenario starts Tessera on a store. */
export const tesseraOptions = (settings: BenchSettings, store: Store) => ({
  store,
  mongodbUri: settings.mongodbUri,
  env: settings.tesseraEnv,
  built: settings.built,
  profileDir: settings.profileDir,
});

/** The store server of a Tessera on `store`: watched on MongoDB only. */
export const storeFor = (settings: BenchSettings, store: Store) =>
  store === 'mongodb' ? settings.store : undefined;

/** Rounds per comparison: Tessera and the baseline alternate (see measureInterleaved). */
export const ROUNDS = 3;

/** What a comparison runs beside Tessera and the baseline. */
interface Comparison {
  readonly notes?: string[];
  /** The minimal Koa + jose endpoint (scripts/bench/floor-server.ts). */
  readonly floor?: boolean;
  /** The same bare oidc-provider on Tessera's SQLite oidc-model store (durable-baseline-store.ts). */
  readonly durableBaseline?: boolean;
}

/**
 * Runs Tessera and the baseline side by side (both processes up, loaded in alternating rounds)
 * with the same plan; ratios Tessera / baseline. With `floor`, the minimal Koa + jose endpoint
 * runs in the same rounds, and Tessera / floor is added; with `durableBaseline`, the baseline on
 * a SQLite file, and Tessera / durable baseline (the baseline's ratios are unchanged by it).
 */
export async function againstBaseline(
  settings: BenchSettings,
  store: Store,
  planFor: PlanFor,
  { notes = [], floor = false, durableBaseline = false }: Comparison = {},
): Promise<Pick<ScenarioResult, 'rows' | 'ratios' | 'notes'>> {
  const started: { label: string; target: Target }[] = [];
  try {
    const start = async (label: string, target: Promise<Target>) =>
      started.push({ label, target: await target });
    await start('tessera', startTesseraTarget(tesseraOptions(settings, store)));
    await start('baseline', startBaselineTarget(settings.baselineEnv, settings.profileDir));
    if (durableBaseline) {
      const durable = { durable: { compiled: settings.built } };
      await start(
        'durable baseline',
        startBaselineTarget(settings.baselineEnv, settings.profileDir, durable),
      );
    }
    if (floor) await start('floor', startFloorTarget(settings.baselineEnv, settings.profileDir));
    process.stderr.write(
      `  pids: ${started.map(({ target }) => target.pid).join(', ')} ` +
        `(${started.map(({ label }) => label).join(', ')})\n`,
    );
    const contenders = [];
    for (const { label, target } of started) {
      const storeWatch = label === 'tessera' ? storeFor(settings, store) : undefined;
      contenders.push({
        label,
        target,
        options: { ...(await planFor(target)), store: storeWatch },
      });
    }
    const rows = await measureInterleaved(contenders, ROUNDS);
    const rowOf = (label: string) => rows[started.findIndex((entry) => entry.label === label)];
    const [tessera, baseline] = rows as [Row, Row];
    const durableRow = rowOf('durable baseline');
    const floorRow = rowOf('floor');
    return {
      rows,
      ratios: {
        'req/s': tessera.rate / baseline.rate,
        p99: tessera.p99Ms / baseline.p99Ms,
        'cpu/req': tessera.cpuMsPerUnit / baseline.cpuMsPerUnit,
        ...(durableRow
          ? {
              'cpu/req vs durable baseline': tessera.cpuMsPerUnit / durableRow.cpuMsPerUnit,
              'p99 vs durable baseline': tessera.p99Ms / durableRow.p99Ms,
            }
          : {}),
        ...(floorRow
          ? {
              'cpu/req vs floor': tessera.cpuMsPerUnit / floorRow.cpuMsPerUnit,
              'baseline cpu/req vs floor': baseline.cpuMsPerUnit / floorRow.cpuMsPerUnit,
            }
          : {}),
      },
      notes: [
        ...notes,
        `${contenders.map((contender) => contender.label).join(', ')} alternate in ${ROUNDS} rounds`,
        ...(durableRow
          ? [
              "durable baseline: the same bare oidc-provider on Tessera's SQLite oidc-model store (a file of its own; no hashing, sealing or events)",
            ]
          : []),
      ],
    };
  } finally {
    for (const { target } of started) await target.stop();
  }
}
