import { argon2Sync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  Argon2PoolUnavailableError,
  createArgon2Pool,
  startArgon2Worker,
  type Argon2Pool,
  type Argon2PoolOptions,
} from '../../src/services/passwords/argon2-pool.ts';
import { PATIENCE_MS } from '../helpers/patience.ts';

const COST = { memoryKib: 7168, iterations: 1, parallelism: 1 };

/** Worker threads that fail the way real ones can, speaking the pool's protocol. */
const FAULTY = {
  /** Its module throws while loading (a missing file, a bad build, no memory). */
  failsToLoad: "throw new Error('cannot load the argon2 module')",
  /** Loads, says it is ready, and dies with the first task it gets. */
  diesOnTask: `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', () => process.exit(70));
    parentPort.postMessage({ ready: true });`,
  /** Loads, says it is ready, and never answers. */
  neverAnswers: `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', () => undefined);
    parentPort.postMessage({ ready: true });`,
  /** Stays alive without ever saying it is ready. */
  neverReady: 'setInterval(() => undefined, 60_000);',
} as const;

const faulty = (kind: keyof typeof FAULTY) => () => new Worker(FAULTY[kind], { eval: true });

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

function recordingLogger() {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (fields: Record<string, unknown> | string, msg?: string): void => {
      lines.push(
        typeof fields === 'string'
          ? { level, fields: {}, msg: fields }
          : { level, fields, msg: msg ?? '' },
      );
    };
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

function task(message = 'correct horse battery staple') {
  return { ...COST, message, nonce: randomBytes(16), tagLength: 32 };
}

const expected = (input: ReturnType<typeof task>) =>
  new Uint8Array(
    argon2Sync('argon2id', {
      message: input.message,
      nonce: input.nonce,
      memory: input.memoryKib,
      passes: input.iterations,
      parallelism: input.parallelism,
      tagLength: input.tagLength,
    }),
  );

/** Nice value of every thread of this process, by thread id (/proc/self/task/<tid>/stat). */
function threadNiceness(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // After the command name (which may hold spaces): field 19, nice, is the 17th.
    nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nice;
}

describe('argon2 worker pool', () => {
  const pools: Argon2Pool[] = [];
  const open = (options: Partial<Argon2PoolOptions> & Pick<Argon2PoolOptions, 'workers'>) => {
    const pool = createArgon2Pool({
      maxQueued: 16,
      restartBackoff: { initialMs: 1, maxMs: 8 },
      ...options,
    });
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });

  it('starts no thread before the first derivation, and no more than it needs', async () => {
    let started = 0;
    const pool = open({
      workers: 2,
      startWorker: () => {
        started += 1;
        return startArgon2Worker();
      },
    });
    expect(pool.threads).toBe(0);
    await pool.derive(task());
    expect([started, pool.threads]).toEqual([1, 1]);
    await Promise.all([task('a'), task('b'), task('c')].map((input) => pool.derive(input)));
    expect([started, pool.threads]).toEqual([2, 2]);
  });

  it('hashes on threads at the configured niceness while the event loop keeps its own', async () => {
    const pool = open({ workers: 2, niceness: 10 });
    if (process.platform !== 'linux') {
      // Elsewhere a nice value belongs to the whole process: the pool leaves it alone.
      await Promise.all([task('a'), task('b')].map((input) => pool.derive(input)));
      expect(getPriority()).toBe(0);
      return;
    }
    const before = threadNiceness();
    await Promise.all([task('a'), task('b')].map((input) => pool.derive(input)));
    // Both tasks may have run on the first thread while the second was still starting: it
    // lowers its priority as it starts, so wait for it rather than read the niceness once.
    const lowered = () =>
      [...threadNiceness()].filter(([tid, nice]) => !before.has(tid) && nice === 10).length;
    await expect.poll(lowered, { timeout: PATIENCE_MS }).toBe(pool.threads);
    expect(threadNiceness().get(process.pid)).toBe(0);
  });

  it('derives on its workers what argon2id gives', async () => {
    const pool = open({ workers: 2 });
    const inputs = [task('one'), task('two'), task('three')];
    const tags = await Promise.all(inputs.map((input) => pool.derive(input)));
    tags.forEach((tag, index) => expect(tag).toEqual(expected(inputs[index]!)));
    expect(pool.pending).toBe(0);
  });

  it('never hands a task to a worker that failed to load, and fails it instead of hanging', async () => {
    const { lines, logger } = recordingLogger();
    const pool = open({ workers: 1, startWorker: faulty('failsToLoad'), logger });

    await expect(pool.derive(task())).rejects.toThrow(Argon2PoolUnavailableError);

    const errors = lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toBe(
      'argon2 worker threads cannot start: sign-in and password changes answer 503 until one does',
    );
    expect(String(errors[0]?.fields['err'])).toContain('cannot load the argon2 module');
    expect(pool.pending).toBe(0);
  });

  it('answers at once while no worker can start, rather than queueing', async () => {
    let started = 0;
    const pool = open({
      workers: 1,
      startWorker: () => {
        started += 1;
        return faulty('failsToLoad')();
      },
    });
    await expect(pool.derive(task())).rejects.toThrow(Argon2PoolUnavailableError);
    const startsBefore = started;
    const refused = pool.derive(task());
    // Nothing was queued and no thread started for it: the answer did not wait for one.
    expect([pool.pending, started]).toEqual([0, startsBefore]);
    await expect(refused).rejects.toThrow('no argon2 worker is running');
  });

  it('restarts a failing worker after a doubling, capped delay instead of a tight loop', async () => {
    const { lines, logger } = recordingLogger();
    const pool = open({
      workers: 1,
      startWorker: faulty('failsToLoad'),
      logger,
      maxStartFailures: 100,
    });
    // The first derivation starts the first thread; it waits (until close) for one that works.
    void pool.derive(task()).catch(() => undefined);
    const failedStarts = () => lines.filter((line) => line.msg === 'argon2 worker failed to start');
    await expect.poll(() => failedStarts().length).toBeGreaterThanOrEqual(6);
    expect(
      failedStarts()
        .slice(0, 5)
        .map((line) => line.fields['retryInMs']),
    ).toEqual([1, 2, 4, 8, 8]);
  });

  it('a worker that throws as it is created counts as a failed start too', async () => {
    const pool = open({
      workers: 1,
      startWorker: () => {
        throw new Error('ERR_WORKER_PATH');
      },
    });
    await expect(pool.derive(task())).rejects.toThrow(Argon2PoolUnavailableError);
  });

  it('runs again once a worker starts, and says so', async () => {
    const { lines, logger } = recordingLogger();
    let attempts = 0;
    const pool = open({
      workers: 1,
      logger,
      // Three failed starts make it unavailable; the fourth start works.
      startWorker: () => (++attempts <= 3 ? faulty('failsToLoad')() : startArgon2Worker()),
    });
    await expect(pool.derive(task())).rejects.toThrow(Argon2PoolUnavailableError);
    const input = task();
    await expect.poll(() => pool.derive(input).catch(() => undefined)).toEqual(expected(input));
    expect(lines.some((line) => line.msg === 'argon2 worker threads are running again')).toBe(true);
  });

  it('runs a task again on another worker when its worker dies under it', async () => {
    const { lines, logger } = recordingLogger();
    let attempts = 0;
    const pool = open({
      workers: 1,
      logger,
      startWorker: () => (++attempts === 1 ? faulty('diesOnTask')() : startArgon2Worker()),
    });
    const input = task();
    expect(await pool.derive(input)).toEqual(expected(input));
    const died = lines.find((line) => line.msg === 'argon2 worker died; replacing it');
    expect(died?.fields['exitCode']).toBe(70);
  });

  it('fails a task whose worker died twice, and keeps serving others', async () => {
    let attempts = 0;
    const pool = open({
      workers: 1,
      startWorker: () => (++attempts <= 2 ? faulty('diesOnTask')() : startArgon2Worker()),
    });
    await expect(pool.derive(task())).rejects.toThrow('argon2 workers died while deriving');
    const input = task();
    expect(await pool.derive(input)).toEqual(expected(input));
  });

  it('ends a worker that never says it is ready and counts it as a failed start', async () => {
    const pool = open({
      workers: 1,
      startWorker: faulty('neverReady'),
      startTimeoutMs: 20,
      maxStartFailures: 1,
    });
    await expect(pool.derive(task())).rejects.toThrow(Argon2PoolUnavailableError);
  });

  it('closes cleanly: running and queued tasks fail, and nothing restarts', async () => {
    let started = 0;
    const pool = open({
      workers: 1,
      startWorker: () => {
        started += 1;
        return faulty('neverAnswers')();
      },
    });
    const outcomes = Promise.allSettled([pool.derive(task()), pool.derive(task())]);
    await expect.poll(() => pool.pending).toBe(2);
    await pool.close();
    const [running, queued] = await outcomes;
    expect(running).toMatchObject({
      status: 'rejected',
      reason: { message: 'argon2 pool is closed' },
    });
    expect(queued).toMatchObject({
      status: 'rejected',
      reason: { message: 'argon2 pool is closed' },
    });
    await expect(pool.derive(task())).rejects.toThrow('argon2 pool is closed');
    expect(started).toBe(1);
  });

  it('closes while restarts are pending without starting any more workers', async () => {
    // The pool's restart delays run on fake timers: the test, not the machine's speed, decides
    // whether a restart was due before close(). (No expect.poll here: it advances fake timers.)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let failedStarts = 0;
      const waiting: { count: number; resolve: () => void }[] = [];
      const untilFailedStarts = (count: number) =>
        new Promise<void>((resolve) => {
          if (failedStarts >= count) resolve();
          else waiting.push({ count, resolve });
        });
      const onWarn = (_fields: unknown, msg?: string) => {
        if (msg !== 'argon2 worker failed to start') return;
        failedStarts += 1;
        for (const wait of waiting) if (failedStarts >= wait.count) wait.resolve();
      };
      let started = 0;
      let startedAfterClose = 0;
      let closed = false;
      const pool = open({
        workers: 2,
        maxStartFailures: 100,
        restartBackoff: { initialMs: 100, maxMs: 100 },
        logger: { info: () => undefined, warn: onWarn, error: () => undefined },
        startWorker: () => {
          started += 1;
          if (closed) startedAfterClose += 1;
          return faulty('failsToLoad')();
        },
      });
      for (const input of [task('one'), task('two')]) {
        void pool.derive(input).catch(() => undefined);
      }
      // Both first threads failed to load; each restart waits out its delay (a pending timer).
      await untilFailedStarts(2);
      expect([started, vi.getTimerCount()]).toEqual([2, 2]);
      await vi.advanceTimersByTimeAsync(100);
      // The restarts ran, failed to load in turn, and wait again.
      await untilFailedStarts(4);
      expect([started, vi.getTimerCount()]).toEqual([4, 2]);

      closed = true;
      await pool.close();
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(startedAfterClose).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
