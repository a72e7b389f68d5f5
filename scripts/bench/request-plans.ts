/**
 * What each scenario sends, as autocannon request lists. Both targets get the same plan; only
 * their fixtures (client ids and secrets) differ.
 */
import type { AutocannonRequest } from 'autocannon';

import { basicAuthorization, type BenchFixtures } from './fixtures.ts';
import { percentile } from './load.ts';
import { advanceSignIn, startSignIn, type SignInState } from './sign-in-flow.ts';

const FORM = 'application/x-www-form-urlencoded';

/** Client credentials for one of the two APIs: an ES256 JWT or an opaque token. */
export function clientCredentialsPlan(fixtures: BenchFixtures, api: string): AutocannonRequest[] {
  return [
    {
      method: 'POST',
      path: '/token',
      headers: {
        authorization: basicAuthorization(fixtures.service.clientId, fixtures.service.clientSecret),
        'content-type': FORM,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        resource: api,
        scope: fixtures.scope,
      }).toString(),
    },
  ];
}

/** Issues `count` opaque access tokens (client credentials), `parallel` at a time. */
export async function issueOpaqueTokens(
  origin: string,
  fixtures: BenchFixtures,
  count: number,
  parallel = 8,
): Promise<string[]> {
  const [request] = clientCredentialsPlan(fixtures, fixtures.opaqueApi);
  const tokens: string[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (tokens.length < count) {
        const response = await fetch(`${origin}/token`, {
          method: 'POST',
          headers: request?.headers ?? {},
          body: request?.body ?? '',
        });
        const body = (await response.json()) as { access_token?: string };
        if (!body.access_token) throw new Error(`token endpoint answered ${response.status}`);
        tokens.push(body.access_token);
      }
    }),
  );
  return tokens;
}

/** Introspection (RFC 7662) by the service client, cycling through `tokens`. */
export function introspectionPlan(
  fixtures: BenchFixtures,
  tokens: readonly string[],
  counts: { inactive: number },
): AutocannonRequest[] {
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/token/introspection',
      headers: {
        authorization: basicAuthorization(fixtures.service.clientId, fixtures.service.clientSecret),
        'content-type': FORM,
      },
      setupRequest(request) {
        const token = tokens[next++ % tokens.length] ?? '';
        return { ...request, body: `token=${token}&token_type_hint=access_token` };
      },
      onResponse(status, body) {
        if (status === 200 && !body.includes('"active":true')) counts.inactive += 1;
      },
    },
  ];
}

/**
 * Refresh-token rotation. Every refresh token is single use, so the plan keeps a pool: a request
 * takes a token out, its response puts the rotated one back. A token is never sent twice; one
 * whose answer is lost (the run ends mid-request) simply leaves the pool, so the pool starts
 * with more chains (separate sign-ins) than there are connections.
 */
export function refreshPlan(fixtures: BenchFixtures, pool: string[]): AutocannonRequest[] {
  return [
    {
      method: 'POST',
      path: '/token',
      headers: {
        authorization: basicAuthorization(fixtures.app.clientId, fixtures.app.clientSecret),
        'content-type': FORM,
      },
      setupRequest(request) {
        // A dry pool (too many answers lost to errors) sends a token that cannot work, which
        // counts as a failure instead of stopping the run.
        const token = pool.shift() ?? 'pool-ran-dry';
        return { ...request, body: `grant_type=refresh_token&refresh_token=${token}` };
      },
      onResponse(status, body) {
        if (status !== 200) return;
        const { refresh_token: rotated } = JSON.parse(body) as { refresh_token?: string };
        if (rotated) pool.push(rotated);
      },
    },
  ];
}

export interface SignInCounts {
  completed: number;
  failed: number;
  readonly latenciesMs: number[];
  readonly failures: Record<string, number>;
}

export const newSignInCounts = (): SignInCounts => ({
  completed: 0,
  failed: 0,
  latenciesMs: [],
  failures: {},
});

export const signInLatency = (counts: SignInCounts) => {
  const sorted = [...counts.latenciesMs].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
};

/** Room for the longest sign-in (8 requests with consent, see sign-in-flow.ts). */
const SIGN_IN_SLOTS = 12;

interface SignInContext {
  state?: SignInState;
  next?: AutocannonRequest | undefined;
  startedAt?: number;
}

/**
 * Whole sign-ins, one after another on each connection: every cycle is a fresh browser
 * (autocannon clears the context when its request list starts over).
 */
export function signInPlan(fixtures: BenchFixtures, counts: SignInCounts): AutocannonRequest[] {
  const onResponse: AutocannonRequest['onResponse'] = (status, body, context, headers) => {
    const flow = context as SignInContext;
    if (!flow.state) return;
    const lowered: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) lowered[name.toLowerCase()] = value;
    const step = advanceSignIn(fixtures, flow.state, status, lowered, body);
    flow.next = undefined;
    if (step.kind === 'request') {
      flow.next = step.request;
    } else if (step.kind === 'done') {
      counts.completed += 1;
      counts.latenciesMs.push(performance.now() - (flow.startedAt ?? 0));
    } else {
      counts.failed += 1;
      counts.failures[step.reason] = (counts.failures[step.reason] ?? 0) + 1;
    }
  };
  const first: AutocannonRequest = {
    setupRequest(request, context) {
      const flow = context as SignInContext;
      const { state, request: start } = startSignIn(fixtures);
      flow.state = state;
      flow.startedAt = performance.now();
      return { ...request, ...start };
    },
    onResponse,
  };
  const following = Array.from({ length: SIGN_IN_SLOTS - 1 }, (): AutocannonRequest => ({
    setupRequest(request, context) {
      const { next } = context as SignInContext;
      // Done or failed: a falsy answer makes autocannon start over with a fresh context.
      return next ? { ...request, ...next, headers: next.headers ?? {} } : null;
    },
    onResponse,
  }));
  return [first, ...following];
}
