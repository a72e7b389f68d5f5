import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { basicAuth } from '../helpers/oauth-fixtures.ts';
import { parsePrometheusText } from '../helpers/prometheus-text.ts';
import { createServiceClient, seedTessera } from '../helpers/seed-tessera.ts';
import {
  runTesseraExpectingFailure,
  spawnTessera,
  waitFor,
  type TesseraProcess,
} from '../helpers/tessera-process.ts';
import { testSecrets } from '../helpers/test-tessera.ts';

/** The worker processes the primary forked (node:cluster). */
const workersOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .filter((child) => child.trim())
    .map(Number);

describe('TESSERA_WORKERS=2', () => {
  let dataDir: string;
  let tessera: TesseraProcess;
  let basic: string;

  const clientCredentials = () =>
    fetch(`${tessera.origin}/token`, {
      method: 'POST',
      // A new connection each time, so the cluster hands requests to both workers.
      headers: {
        authorization: basic,
        connection: 'close',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-cluster-'));
    const env = { TESSERA_DATA_DIR: dataDir, ...testSecrets() };
    const client = await seedTessera(env, (t) => createServiceClient(t, 'openid'));
    basic = basicAuth(client.clientId, client.clientSecret);
    tessera = await spawnTessera({ ...env, TESSERA_WORKERS: '2' }, { timeoutMs: 40_000 });
    await waitFor(
      async () => (tessera.output().includes('tessera cluster started') ? true : undefined),
      40_000,
    );
  });
  afterAll(async () => {
    if (tessera.child.exitCode === null) tessera.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the port from two worker processes under one primary', async () => {
    expect(workersOf(tessera.child.pid!)).toHaveLength(2);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async () => (await clientCredentials()).status),
    );
    expect(statuses).toEqual(Array(10).fill(200));
    // Access lines are written asynchronously: wait for both workers' lines to arrive.
    const servedBy = () =>
      new Set(
        tessera
          .output()
          .split('\n')
          .filter((line) => line.includes('"route":"/token"'))
          .map((line) => (JSON.parse(line) as { worker: number }).worker),
      );
    await waitFor(async () => (servedBy().size === 2 ? true : undefined)).catch(() => undefined);
    expect([...servedBy()].sort()).toEqual([0, 1]);
  });

  it('sums every worker into one /metrics answer, whichever worker serves the scrape', async () => {
    const before = await issuedTokens();
    for (let i = 0; i < 6; i += 1) expect((await clientCredentials()).status).toBe(200);
    // Each scrape may land on either worker; both must see all six.
    expect(await issuedTokens()).toBe(before + 6);
    expect(await issuedTokens()).toBe(before + 6);
  });

  it('replaces a worker that dies, and keeps serving', async () => {
    const [victim] = workersOf(tessera.child.pid!);
    process.kill(victim!, 'SIGKILL');
    const replaced = await waitFor(async () => {
      const workers = workersOf(tessera.child.pid!);
      return workers.length === 2 && !workers.includes(victim!) ? workers : undefined;
    }, 30_000);
    expect(replaced).toHaveLength(2);
    await waitFor(async () => ((await clientCredentials()).status === 200 ? true : undefined));
    expect(tessera.output()).toContain('worker died; starting a new one');
  });

  it('stops every worker gracefully on SIGTERM and exits 0', async () => {
    const workers = workersOf(tessera.child.pid!);
    tessera.child.kill('SIGTERM');
    expect(await tessera.exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });

  async function issuedTokens(): Promise<number> {
    const text = await (
      await fetch(`${tessera.origin}/metrics`, { headers: { connection: 'close' } })
    ).text();
    const samples = parsePrometheusText(text).filter(
      (sample) =>
        sample.name === 'tessera_tokens_issued_total' &&
        sample.labels['grant_type'] === 'client_credentials',
    );
    return samples.reduce((sum, sample) => sum + sample.value, 0);
  }
});

describe('TESSERA_WORKERS=2 when a worker cannot start', () => {
  it('stops and exits 1, with the worker’s reason in the log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cluster-'));
    try {
      const env = { TESSERA_DATA_DIR: dataDir, ...testSecrets() };
      await seedTessera(env, async () => undefined);
      const { code, output } = await runTesseraExpectingFailure(
        {
          ...env,
          TESSERA_WORKERS: '2',
          // Not the key the stored signing keys were encrypted with.
          TESSERA_KEY_ENCRYPTION_KEY: testSecrets().TESSERA_KEY_ENCRYPTION_KEY,
        },
        { timeoutMs: 40_000 },
      );
      expect(code).toBe(1);
      expect(output).toContain(
        'TESSERA_KEY_ENCRYPTION_KEY is not the key they were encrypted with',
      );
      expect(output).toContain('a worker failed to start; stopping');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
