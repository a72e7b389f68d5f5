/**
 * The benchmark's scenarios. Each starts its own servers (Tessera as `src/main.ts`, the baseline
 * as bare oidc-provider), measures them one after the other with the same load, and stops them.
 */
import { measureArgon2Hash } from './argon2-cost.ts';
import {
  measure,
  measureInterleaved,
  observe,
  toRow,
  type Row,
  type StoreWatch,
} from './measure.ts';
import { runLoad } from './load.ts';
import {
  clientCredentialsPlan,
  introspectionPlan,
  issueOpaqueTokens,
  newSignInCounts,
  refreshPlan,
  signInLatency,
  signInPlan,
} from './request-plans.ts';
import { measureSignInCost } from './sign-in-cost.ts';
import { signInOnce } from './sign-in-flow.ts';
import {
  startBaselineTarget,
  startFloorTarget,
  startTesseraTarget,
  type Store,
  type Target,
} from './targets.ts';
import type { BenchFixtures } from './fixtures.ts';

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

type PlanFor = (target: Target) => Promise<Parameters<typeof measure>[2]>;

/** How every scenario starts Tessera on a store. */
export const tesseraOptions = (settings: BenchSettings, store: Store) => ({
  store,
  mongodbUri: settings.mongodbUri,
  env: settings.tesseraEnv,
  built: settings.built,
  profileDir: settings.profileDir,
});

/** The store server of a Tessera on `store`: watched on MongoDB only. */
const storeFor = (settings: BenchSettings, store: Store) =>
  store === 'mongodb' ? settings.store : undefined;

/** Rounds per comparison: Tessera and the baseline alternate (see measureInterleaved). */
const ROUNDS = 3;

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
async function againstBaseline(
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

const clientCredentials = (store: Store, format: 'jwt' | 'opaque'): Scenario => ({
  name: `cc-${format}-${store}`,
  description: `client credentials → ${format === 'jwt' ? 'ES256 JWT' : 'opaque token'}, ${store} store`,
  async run(settings) {
    return {
      name: this.name,
      description: this.description,
      ...(await againstBaseline(
        settings,
        store,
        async (target) => ({
          ...settings,
          requests: () =>
            clientCredentialsPlan(
              target.fixtures,
              format === 'jwt' ? target.fixtures.jwtApi : target.fixtures.opaqueApi,
            ),
        }),
        { floor: format === 'jwt' },
      )),
    };
  },
});

/** Below the baseline memory adapter's LRU size (1000 entries), so none is evicted. */
const INTROSPECTED_TOKENS = 500;

const introspection = (store: Store): Scenario => ({
  name: `introspection-${store}`,
  description: `introspection of opaque client-credentials tokens (${INTROSPECTED_TOKENS} cycled), ${store} store`,
  async run(settings) {
    const perTarget: { inactive: number }[] = [];
    const result = await againstBaseline(settings, store, async (target) => {
      const tokens = await issueOpaqueTokens(target.origin, target.fixtures, INTROSPECTED_TOKENS);
      const counts = { inactive: 0 };
      perTarget.push(counts);
      return { ...settings, requests: () => introspectionPlan(target.fixtures, tokens, counts) };
    });
    perTarget.forEach(({ inactive: count }, index) => {
      if (count > 0)
        result.notes.push(`${result.rows[index]?.target}: ${count} answers said active: false`);
    });
    return { name: this.name, description: this.description, ...result };
  },
});

const refresh = (store: Store): Scenario => ({
  name: `refresh-${store}`,
  description: `refresh-token rotation (authorization-code grants, each chain single-use), ${store} store`,
  async run(settings) {
    const plan: PlanFor = async (target) => {
      // autocannon builds each connection's first request before it connects and again when
      // it sends, and cuts off the answers in flight when a run ends: every run (warm-up and
      // rounds) may lose two chains per connection, so the pool starts with that many and more.
      const pool = await seedRefreshTokens(
        target.origin,
        target.fixtures,
        settings.connections * (2 * (ROUNDS + 1) + 2),
      );
      return { ...settings, requests: () => refreshPlan(target.fixtures, pool) };
    };
    // On SQLite, also against oidc-provider on a SQLite store: the in-memory baseline has no
    // durable writes at all, which is most of what a refresh costs Tessera beyond it.
    const result = await againstBaseline(settings, store, plan, {
      durableBaseline: store === 'sqlite',
    });
    return { name: this.name, description: this.description, ...result };
  },
});

async function seedRefreshTokens(
  origin: string,
  fixtures: BenchFixtures,
  count: number,
): Promise<string[]> {
  const pool: string[] = [];
  // Each seeder signs in its own account: concurrent attempts on one account count against its
  // throttle while they run (src/services/sign-in-reservations.ts) and some would be refused.
  await Promise.all(
    Array.from({ length: 4 }, async (_, index) => {
      const username = fixtures.usernames[index % fixtures.usernames.length] ?? fixtures.username;
      while (pool.length < count) {
        const tokens = await signInOnce(origin, fixtures, username);
        if (typeof tokens['refresh_token'] !== 'string') throw new Error('no refresh token');
        pool.push(tokens['refresh_token']);
      }
    }),
  );
  return pool;
}

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

const signIns = (store: Store): Scenario => ({
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

const tokensDuringSignIns = (store: Store): Scenario => ({
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

const clusterScaling = (store: Store): Scenario => ({
  name: `cc-jwt-${store}-workers`,
  description: `client credentials → ES256 JWT, ${store} store: one process against TESSERA_WORKERS processes`,
  async run(settings) {
    const targets: Target[] = [];
    try {
      for (const workers of [1, settings.workers]) {
        targets.push(await startTesseraTarget({ ...tesseraOptions(settings, store), workers }));
      }
      const rows = await measureInterleaved(
        targets.map((target, index) => ({
          label: index === 0 ? 'workers=1' : `workers=${settings.workers}`,
          target,
          options: {
            ...settings,
            store: storeFor(settings, store),
            requests: () => clientCredentialsPlan(target.fixtures, target.fixtures.jwtApi),
          },
        })),
        ROUNDS,
      );
      const [one, many] = rows as [Row, Row];
      return {
        name: this.name,
        description: this.description,
        rows,
        ratios: { [`scaling (workers=${settings.workers} / 1)`]: many.rate / one.rate },
        notes: ['the load generator shares the same cores; CPU and RSS cover every worker process'],
      };
    } finally {
      for (const target of targets) await target.stop();
    }
  },
});

export const SCENARIOS: readonly Scenario[] = [
  clientCredentials('sqlite', 'jwt'),
  clientCredentials('mongodb', 'jwt'),
  clientCredentials('sqlite', 'opaque'),
  clientCredentials('mongodb', 'opaque'),
  introspection('mongodb'),
  introspection('sqlite'),
  refresh('mongodb'),
  refresh('sqlite'),
  signIns('sqlite'),
  signIns('mongodb'),
  // On SQLite sign-ins run at the argon2 pool's pace; on FerretDB its store writes pace them.
  tokensDuringSignIns('sqlite'),
  tokensDuringSignIns('mongodb'),
  clusterScaling('mongodb'),
];
