import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { startSlowRequest } from '../helpers/slow-request.ts';
import { spawnTessera, waitFor } from '../helpers/tessera-process.ts';
import { startTestTessera, testSecrets } from '../helpers/test-tessera.ts';

/** Resolves true once a TCP connection to the origin is refused. */
function refusesConnections(origin: string): Promise<boolean> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect({
      host: hostname === 'localhost' ? '127.0.0.1' : hostname,
      port: +port,
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function readiness(
  origin: string,
): Promise<{ status: number; body: unknown; connection: string | null }> {
  const response = await fetch(`${origin}/readyz`);
  return {
    status: response.status,
    body: await response.json(),
    connection: response.headers.get('connection'),
  };
}

describe('graceful shutdown of the process', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-shutdown-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('turns /readyz to 503 when SIGTERM arrives and keeps serving through the shutdown delay', async () => {
    const tessera = await spawnTessera({
      TESSERA_DATA_DIR: dataDir,
      // Long enough for the checks below on a busy machine; the exit waits it out.
      TESSERA_SHUTDOWN_DELAY_MS: '8000',
      ...testSecrets(),
    });
    expect((await readiness(tessera.url)).status).toBe(200);

    tessera.child.kill('SIGTERM');
    const notReady = await waitFor(async () => {
      const state = await readiness(tessera.url);
      return state.status === 503 ? state : undefined;
    });
    expect(notReady.body).toEqual({ status: 'unavailable', reasons: ['shutting down'] });
    // Each connection is let go after its response, so clients reconnect to another replica.
    expect(notReady.connection).toBe('close');
    // Still serving: load balancers get time to notice before connections are refused.
    expect((await fetch(`${tessera.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${tessera.url}/jwks`)).status).toBe(200);

    expect(await tessera.exited).toBe(0);
    expect(tessera.output()).toContain('readiness off; serving until drain');
  });

  it('exits at once with code 1 on a second signal', async () => {
    const tessera = await spawnTessera({
      TESSERA_DATA_DIR: dataDir,
      // The longest delay there is: exiting before the test's limit means it did not wait.
      TESSERA_SHUTDOWN_DELAY_MS: '120000',
      ...testSecrets(),
    });
    tessera.child.kill('SIGTERM');
    await waitFor(async () => ((await readiness(tessera.url)).status === 503 ? true : undefined));

    tessera.child.kill('SIGTERM');
    expect(await tessera.exited).toBe(1);
    expect(tessera.output()).toContain('second signal: exiting now');
  });

  it('drains on SIGINT like on SIGTERM and exits 0', async () => {
    const tessera = await spawnTessera({ TESSERA_DATA_DIR: dataDir, ...testSecrets() });
    const slow = startSlowRequest(tessera.url);
    await slow.arrived;
    tessera.child.kill('SIGINT');
    await waitFor(async () => ((await refusesConnections(tessera.url)) ? true : undefined));
    slow.finish();
    expect(await slow.response).toBe(400);
    expect(await tessera.exited).toBe(0);
  });

  it('cuts off a request still running at the shutdown timeout, then exits 0', async () => {
    const tessera = await spawnTessera({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_SHUTDOWN_TIMEOUT_MS: '300',
      ...testSecrets(),
    });
    const slow = startSlowRequest(tessera.url);
    await slow.arrived;
    tessera.child.kill('SIGTERM');

    // The request never finishes on its own: only the timeout can have ended it.
    await expect(slow.response).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(await tessera.exited).toBe(0);
    expect(tessera.output()).toContain('shutdown timeout reached; closing remaining connections');
  });
});

describe('Tessera.stop()', () => {
  it('refuses new connections at once, lets the in-flight request finish, then closes the store', async () => {
    const t = await startTestTessera();
    try {
      const slow = startSlowRequest(t.issuer);
      await slow.arrived;

      let stopped = false;
      const stopping = t.tessera.stop().then(() => {
        stopped = true;
      });
      expect(await refusesConnections(t.issuer)).toBe(true);
      expect(stopped).toBe(false);
      await expect(t.tessera.storage.ping()).resolves.toBeUndefined();

      slow.finish();
      expect(await slow.response).toBe(400);
      await stopping;
      await expect(t.tessera.storage.ping()).rejects.toThrow();
      // A second call waits for the same stop instead of starting another.
      await expect(t.tessera.stop()).resolves.toBeUndefined();
    } finally {
      await t.stop();
    }
  });

  it('stops polling for catalog changes before it closes the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-shutdown-'));
    const raw = openSqliteStorage({ path: join(dir, 'tessera.sqlite') });
    let reads = 0;
    const storage = {
      ...raw,
      catalogGeneration: {
        read: () => {
          reads += 1;
          return raw.catalogGeneration.read();
        },
      },
    };
    const t = await startTestTessera({ TESSERA_CATALOG_POLL_MS: '100' }, { storage });
    try {
      await waitFor(async () => (reads >= 3 ? true : undefined));
      await t.tessera.stop();
      const readsAtStop = reads;
      // Five intervals: a 100 ms timer left behind would have read (and failed on the closed
      // store) first, however busy the machine, since timers fire in the order they are due.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(reads).toBe(readsAtStop);
      expect(t.logs.map((line) => line.msg)).not.toContain(
        expect.stringMatching(/^catalog change polling failed/),
      );
    } finally {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
