import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { MongoConnection } from '../../adapters/mongodb/mongo-connection.ts';
import { trackAvailability } from '../../adapters/mongodb/store-availability.ts';

/** A connection whose probe answers as told and which counts its replacements. */
function fakeConnection(serverUp: () => boolean) {
  const calls = { probes: 0, replacements: 0 };
  const connection = {
    async probe() {
      calls.probes += 1;
      return serverUp();
    },
    async replace() {
      calls.replacements += 1;
    },
  } as unknown as MongoConnection;
  return { connection, calls };
}

const unreachable = new Error('connect ECONNREFUSED 127.0.0.1:27017');
const timings = { reviveAfterMs: 5_000, probeIntervalMs: 3_000, graceMs: 2_000 };

describe('the MongoDB availability watchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms);

  it('replaces a client that keeps failing while a fresh one reaches the server', async () => {
    const { connection, calls } = fakeConnection(() => true);
    const availability = trackAvailability({ connection, ...timings });
    availability.failed(unreachable);
    await sleep(5_000);
    availability.failed(unreachable);
    await sleep(2_000);
    expect(calls.replacements).toBe(1);
  });

  it('leaves the client alone while the server itself is down', async () => {
    const { connection, calls } = fakeConnection(() => false);
    const availability = trackAvailability({ connection, ...timings });
    availability.failed(unreachable);
    await sleep(5_000);
    availability.failed(unreachable);
    await sleep(1_000);
    availability.failed(unreachable); // within the probe interval: no second probe
    await sleep(2_000);
    expect(calls.probes).toBe(1);
    expect(calls.replacements).toBe(0);
  });

  it('leaves the client alone when it recovers by itself within the grace period', async () => {
    const { connection, calls } = fakeConnection(() => true);
    const availability = trackAvailability({ connection, ...timings });
    availability.failed(unreachable);
    await sleep(5_000);
    availability.failed(unreachable);
    await sleep(500);
    availability.succeeded();
    await sleep(2_000);
    expect(calls.probes).toBe(1);
    expect(calls.replacements).toBe(0);
  });

  it('waits for failures to last before probing at all', async () => {
    const { connection, calls } = fakeConnection(() => true);
    const availability = trackAvailability({ connection, ...timings });
    availability.failed(unreachable);
    await sleep(4_000);
    availability.failed(unreachable);
    await sleep(2_000);
    expect(calls.probes).toBe(0);
  });
});
