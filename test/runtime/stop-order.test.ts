import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { gracefulStopOrder, type StoppableParts } from '../../src/composition/graceful-stop.ts';
import { deferStop } from '../../src/lifecycle/deferred-stop.ts';
import { createStartup } from '../../src/lifecycle/startup.ts';
import { runStopOrder, type StopStep } from '../../src/lifecycle/stop-order.ts';
import { createCapturedLogger } from '../helpers/captured-logger.ts';

const never = () => new Promise<void>(() => undefined);

/** A promise the test settles by hand, to play a stop that takes a while. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('the stop order runner', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs its steps one at a time, in order, each after the previous one has finished', async () => {
    const { logger } = createCapturedLogger('info');
    const seen: string[] = [];
    const steps: StopStep[] = [
      {
        name: 'close http',
        timeoutMs: 10_000,
        run: async () => {
          seen.push('close http: begun');
          await new Promise((resolve) => setTimeout(resolve, 500));
          seen.push('close http: done');
        },
      },
      { name: 'flush relay', timeoutMs: 10_000, run: () => void seen.push('flush relay') },
      { name: 'close store', timeoutMs: 10_000, run: async () => void seen.push('close store') },
    ];
    const stopping = runStopOrder(steps, logger);
    await vi.advanceTimersByTimeAsync(500);
    await stopping;
    expect(seen).toEqual(['close http: begun', 'close http: done', 'flush relay', 'close store']);
  });

  it('goes on with the later steps after a failing one, then rejects with the failure', async () => {
    const { logger, lines } = createCapturedLogger('info');
    const closed: string[] = [];
    const steps: StopStep[] = [
      { name: 'argon2 pool', timeoutMs: 1000, run: () => Promise.reject(new Error('pool broke')) },
      { name: 'store', timeoutMs: 1000, run: () => void closed.push('store') },
    ];
    await expect(runStopOrder(steps, logger)).rejects.toThrow('pool broke');
    expect(closed).toEqual(['store']);
    expect(lines).toContainEqual(
      expect.objectContaining({ step: 'argon2 pool', msg: 'stop step failed' }),
    );
  });

  it('stops waiting for a step at its timeout and goes on with the next one', async () => {
    const { logger, lines } = createCapturedLogger('info');
    let storeClosedAt: number | undefined;
    const steps: StopStep[] = [
      { name: 'key rotation', timeoutMs: 3000, run: never },
      { name: 'store', timeoutMs: 3000, run: () => void (storeClosedAt = Date.now()) },
    ];
    const startedAt = Date.now();
    const stopping = runStopOrder(steps, logger);
    await vi.advanceTimersByTimeAsync(2999);
    expect(storeClosedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    // A timeout is logged, not a failure: the process still exits 0.
    await expect(stopping).resolves.toBeUndefined();
    expect(storeClosedAt).toBe(startedAt + 3000);
    expect(lines).toContainEqual(
      expect.objectContaining({
        step: 'key rotation',
        timeoutMs: 3000,
        msg: 'stop step overran its timeout; going on without it',
      }),
    );
  });
});

describe('a failed startup', () => {
  it('aborts the components started so far, the latest first', async () => {
    const { logger } = createCapturedLogger('info');
    const startup = createStartup(logger, 1000);
    const aborted: string[] = [];
    for (const name of ['store', 'http', 'argon2 pool', 'key rotation']) {
      startup.add({ name, abort: () => void aborted.push(name) });
    }
    await startup.unwind();
    expect(aborted).toEqual(['key rotation', 'argon2 pool', 'http', 'store']);
  });

  it('still aborts the earlier components when one fails to abort, and never rejects', async () => {
    const { logger, lines } = createCapturedLogger('info');
    const startup = createStartup(logger, 1000);
    const aborted: string[] = [];
    startup.add({ name: 'store', abort: () => void aborted.push('store') });
    startup.add({ name: 'argon2 pool', abort: () => Promise.reject(new Error('worker stuck')) });
    await expect(startup.unwind()).resolves.toBeUndefined();
    expect(aborted).toEqual(['store']);
    expect(lines).toContainEqual(
      expect.objectContaining({ step: 'argon2 pool', msg: 'stop step failed' }),
    );
  });
});

describe('the graceful stop of Tessera', () => {
  /** Parts that record what is done to them; the key rotation's pass in progress is held. */
  function recordingParts() {
    const seen: string[] = [];
    const record = (what: string) => () => void seen.push(what);
    const rotationPass = gate();
    const keys = deferStop(async () => {
      await rotationPass.opened;
      seen.push('key rotation: pass in progress finished');
    });
    const parts: StoppableParts = {
      http: {
        turnReadinessOff: record('readiness off'),
        keepServingFor: async (delayMs) => void seen.push(`serving for ${delayMs} ms`),
        close: async (timeoutMs) => void seen.push(`http closed within ${timeoutMs} ms`),
      },
      housekeeping: { stop: record('housekeeping stopped') },
      idleReclaim: { stop: record('idle memory reclaim stopped') },
      keys: {
        beginStop: () => {
          seen.push('key rotation: no new passes');
          keys.begin();
        },
        stop: () => keys.finish(),
      },
      catalogChanges: {
        beginStop: record('catalog changes: no new reads'),
        stop: async () => void seen.push('catalog changes: read in progress finished'),
      },
      shutdownSteps: {
        run: async (budgetMs) => {
          seen.push(`shutdown steps within ${budgetMs} ms`);
          rotationPass.open();
        },
      },
      argon2: { stop: async () => void seen.push('argon2 pool closed') },
      store: { stop: async () => void seen.push('store closed') },
    };
    return { parts, seen };
  }

  it('turns readiness off, keeps serving, drains HTTP, runs the shutdown steps, then closes the pool and the store', async () => {
    const { logger } = createCapturedLogger('info');
    const { parts, seen } = recordingParts();
    await runStopOrder(gracefulStopOrder(parts, { delayMs: 5000, timeoutMs: 10_000 }), logger);
    expect(seen).toEqual([
      'readiness off',
      'housekeeping stopped',
      'idle memory reclaim stopped',
      'key rotation: no new passes',
      'serving for 5000 ms',
      'http closed within 10000 ms',
      'catalog changes: no new reads',
      'shutdown steps within 10000 ms',
      // Stopped before the drain, but its pass in progress was only awaited here.
      'key rotation: pass in progress finished',
      'catalog changes: read in progress finished',
      'argon2 pool closed',
      'store closed',
    ]);
  });

  it('gives every step a timeout', () => {
    const { parts } = recordingParts();
    const steps = gracefulStopOrder(parts, { delayMs: 0, timeoutMs: 10_000 });
    for (const step of steps) expect(step.timeoutMs, step.name).toBeGreaterThan(0);
  });
});
