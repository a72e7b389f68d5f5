/**
 * Whole sign-ins, `connections` at a time, for `durationS` seconds — and then every sign-in
 * already started is finished before the run ends. autocannon (load.ts) stops at its deadline
 * and drops the flows in progress, which the server keeps working on (a queued password check
 * runs after its client left): their CPU counts in the measured window (or, after a warm-up, in
 * the next one) while no sign-in is counted for it, which made `cpu ms/sign-in` look several ms
 * dearer than a sign-in is (docs/benchmarks.md, "Benchmarks"). Here every sign-in the server
 * worked on in the window is counted, so CPU ÷ sign-ins is the cost of one. Each connection
 * signs in its own account (fixtures.ts `usernames`), so no attempt is refused for another's.
 */
import type { BenchFixtures } from './fixtures.ts';
import { percentile, type LoadResult } from './load.ts';
import type { SignInCounts } from './request-plans.ts';
import { advanceSignIn, startSignIn, type FlowRequest } from './sign-in-flow.ts';

export interface DrainedSignInOptions {
  readonly origin: string;
  readonly fixtures: BenchFixtures;
  readonly connections: number;
  readonly durationS: number;
  readonly counts: SignInCounts;
}

/** One request of a flow: its status, lower-case headers (set-cookie as a list) and body. */
async function send(origin: string, request: FlowRequest) {
  const response = await fetch(`${origin}${request.path}`, {
    method: request.method,
    headers: request.headers,
    redirect: 'manual',
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  headers['set-cookie'] = response.headers.getSetCookie();
  return { status: response.status, headers, body: await response.text() };
}

/** Runs the sign-ins; `latenciesMs` and `statuses` are per response, as load.ts reports them. */
export async function runDrainedSignIns(options: DrainedSignInOptions): Promise<LoadResult> {
  const { origin, fixtures, counts } = options;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let failures = 0;
  const started = performance.now();
  const deadline = started + options.durationS * 1000;

  const signIn = async (username: string) => {
    const flowStarted = performance.now();
    const flow = startSignIn(fixtures, username);
    let request = flow.request;
    for (;;) {
      const sent = performance.now();
      let answer;
      try {
        answer = await send(origin, request);
      } catch (error) {
        failures += 1;
        statuses['errors'] = (statuses['errors'] ?? 0) + 1;
        counts.failed += 1;
        const reason = error instanceof Error ? error.message : String(error);
        counts.failures[reason] = (counts.failures[reason] ?? 0) + 1;
        return;
      }
      latencies.push(performance.now() - sent);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status >= 400) failures += 1;
      const step = advanceSignIn(fixtures, flow.state, answer.status, answer.headers, answer.body);
      if (step.kind === 'request') {
        request = step.request;
      } else if (step.kind === 'done') {
        counts.completed += 1;
        counts.latenciesMs.push(performance.now() - flowStarted);
        return;
      } else {
        counts.failed += 1;
        counts.failures[step.reason] = (counts.failures[step.reason] ?? 0) + 1;
        return;
      }
    }
  };

  await Promise.all(
    Array.from({ length: options.connections }, async (_, index) => {
      const username = fixtures.usernames[index % fixtures.usernames.length] ?? fixtures.username;
      while (performance.now() < deadline) await signIn(username);
    }),
  );
  const durationS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    responses: latencies.length,
    failures,
    durationS,
    rps: latencies.length / durationS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    statuses,
    latenciesMs: latencies,
  };
}
