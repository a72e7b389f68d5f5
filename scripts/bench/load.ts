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
  };
}
