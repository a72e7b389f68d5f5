/**
 * Load generator for scripts/bench/storage-token-bench.ts, run in a worker thread so that it
 * does not share the server's event loop. Sends `requests` client-credentials requests with
 * `concurrency` in flight, stops early at `maxMs`, and reports each request's latency.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadJob {
  readonly url: string;
  readonly body: string;
  readonly authorization: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly maxMs: number;
}

export interface LoadResult {
  readonly latenciesMs: number[];
  readonly failures: number;
  readonly elapsedMs: number;
}

async function run(job: LoadJob): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let failures = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + job.maxMs;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (issued < job.requests && performance.now() < deadline) {
        issued += 1;
        const sent = performance.now();
        const response = await fetch(job.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: job.authorization,
          },
          body: job.body,
        });
        await response.arrayBuffer();
        latenciesMs.push(performance.now() - sent);
        if (response.status !== 200) failures += 1;
      }
    }),
  );
  return { latenciesMs, failures, elapsedMs: performance.now() - started };
}

parentPort?.postMessage(await run(workerData as LoadJob));
