import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';

import { afterEach, describe, expect, it } from 'vitest';

import { runDrainedSignIns } from '../../scripts/bench/drained-sign-ins.ts';
import { BENCH_USERNAMES, type BenchFixtures } from '../../scripts/bench/fixtures.ts';
import { threadCpuMs } from '../../scripts/bench/process-stats.ts';
import { newSignInCounts } from '../../scripts/bench/request-plans.ts';
import { PATIENCE_MS } from '../helpers/patience.ts';

const fixtures: BenchFixtures = {
  service: { clientId: 'service', clientSecret: 'secret' },
  app: { clientId: 'app', clientSecret: 'secret', redirectUri: 'http://127.0.0.1:9/callback' },
  jwtApi: 'https://jwt.example/api',
  opaqueApi: 'https://opaque.example/api',
  scope: 'bench',
  username: BENCH_USERNAMES[0] as string,
  usernames: BENCH_USERNAMES,
  password: 'pw',
};

let server: Server | undefined;
afterEach(() => server?.close());

/**
 * The shortest sign-in (sign-in-flow.ts): /auth redirects straight back with a code, and the
 * code exchange answers only when `release` is called.
 */
async function startHeldServer() {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let exchanges = 0;
  server = createServer((request, response) => {
    if (request.url?.startsWith('/auth')) {
      response.writeHead(303, { location: `${fixtures.app.redirectUri}?code=c` }).end();
      return;
    }
    exchanges += 1;
    void released.then(() => response.writeHead(200).end('{"access_token":"a"}'));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, release, exchanges: () => exchanges };
}

describe('measuring what a sign-in costs', () => {
  it('finishes and counts the sign-ins still under way at the end of the run', async () => {
    const held = await startHeldServer();
    const counts = newSignInCounts();
    const durationS = 0.2;
    const runStarted = performance.now();
    const run = runDrainedSignIns({
      origin: held.origin,
      fixtures,
      connections: 2,
      durationS,
      counts,
    });
    // Both sign-ins are waiting for their code exchange; it is answered only after the run's
    // end, which a run that stops at its deadline would never see.
    await expect.poll(held.exchanges, { timeout: PATIENCE_MS }).toBe(2);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, runStarted + durationS * 1000 - performance.now()) + 5),
    );
    held.release();
    const result = await run;
    expect(counts.completed).toBe(2);
    expect(counts.failed).toBe(0);
    expect(result.responses).toBe(4);
  });

  it('tells the CPU of worker threads from the event loop’s', async () => {
    const before = threadCpuMs(process.pid);
    const worker = new Worker(
      `const { pbkdf2Sync } = require('node:crypto');
       const { parentPort } = require('node:worker_threads');
       pbkdf2Sync('password', 'salt', 400000, 32, 'sha256');
       parentPort.postMessage('done');`,
      { eval: true },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const after = threadCpuMs(process.pid);
    await worker.terminate();
    expect(after.workers - before.workers).toBeGreaterThan(0);
    expect(after.main).toBeGreaterThanOrEqual(before.main);
  });
});
