/**
 * Load through autocannon, with every response's latency kept (autocannon's own histogram has
 * 1 ms resolution and only counts 2xx; a sign-in is mostly redirects) and a check of each
 * response: `ok` decides what counts as a success for the scenario.
 */
import autocannon, { type AutocannonRequest } from 'autocannon';

export interface LoadOptions {
  readonly origin: string;
  readonly connections: number;
  readonly durationS: number;
  readonly requests: AutocannonRequest[];
  /** Requests per second over all connections; unset = as fast as the server answers. */
  readonly overallRate?: number | undefined;
  readonly ok?: (status: number) => boolean;
}

export interface LoadResult {
  readonly responses: number;
  readonly failures: number;
  readonly durationS: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Status codes seen, for telling what went wrong. */
  readonly statuses: Record<string, number>;
  /** Every response's latency, ms, sorted (for merging runs). */
  readonly latenciesMs: readonly number[];
}

/** One result for several runs against the same target (interleaved rounds). */
export function mergeLoads(results: readonly LoadResult[]): LoadResult {
  const latenciesMs = results.flatMap((result) => result.latenciesMs).sort((a, b) => a - b);
  const durationS = results.reduce((sum, result) => sum + result.durationS, 0);
  const statuses: Record<string, number> = {};
  for (const result of results) {
    for (const [status, count] of Object.entries(result.statuses)) {
      statuses[status] = (statuses[status] ?? 0) + count;
    }
  }
  return {
    responses: latenciesMs.length,
    failures: results.reduce((sum, result) => sum + result.failures, 0),
    durationS,
    rps: latenciesMs.length / durationS,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    statuses,
    latenciesMs,
  };
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN);

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const ok = options.ok ?? ((status: number) => status >= 200 && status < 300);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let failures = 0;
  const instance = autocannon({
    url: options.origin,
    connections: options.connections,
    duration: options.durationS,
    // Far above any latency here: a timed-out request would be sent again, and a refresh token
    // sent twice revokes its grant.
    timeout: 60,
    requests: options.requests,
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (!ok(status)) failures += 1;
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    responses: latencies.length,
    failures: failures + result.errors,
    durationS: result.duration,
    rps: latencies.length / result.duration,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    statuses: result.errors > 0 ? { ...statuses, errors: result.errors } : statuses,
    latenciesMs: latencies,
  };
}
