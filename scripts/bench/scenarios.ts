/**
 * The benchmark's scenarios. Each starts its own servers (Tessera as `src/main.ts`, the baseline
 * as bare oidc-provider), measures them one after the other with the same load, and stops them.
 * The comparison they share is in comparison.ts, the sign-in scenarios in sign-in-scenarios.ts.
 */
import {
  againstBaseline,
  ROUNDS,
  storeFor,
  tesseraOptions,
  type PlanFor,
  type Scenario,
} from './comparison.ts';
import type { BenchFixtures } from './fixtures.ts';
import { measureInterleaved, type Row } from './measure.ts';
import {
  clientCredentialsPlan,
  introspectionPlan,
  issueOpaqueTokens,
  refreshPlan,
} from './request-plans.ts';
import { signInOnce } from './sign-in-flow.ts';
import { signIns, tokensDuringSignIns } from './sign-in-scenarios.ts';
import { startTesseraTarget, type Store, type Target } from './targets.ts';

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
