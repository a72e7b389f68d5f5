import { describe, expect, it, vi } from 'vitest';

import { createShutdownSteps } from '../../src/lifecycle/shutdown-steps.ts';
import { createCapturedLogger } from '../helpers/captured-logger.ts';

describe('shutdown steps', () => {
  it('run one at a time in the order they were added', async () => {
    const { logger } = createCapturedLogger('info');
    const steps = createShutdownSteps(logger);
    const seen: string[] = [];
    steps.add('flush relay', async () => {
      // Several turns of the event loop: a step started alongside would have run meanwhile.
      for (let turn = 0; turn < 5; turn += 1) await new Promise(setImmediate);
      seen.push('flush relay');
    });
    steps.add('stop scheduler', () => {
      seen.push('stop scheduler');
    });
    await steps.run(60_000);
    expect(seen).toEqual(['flush relay', 'stop scheduler']);
  });

  it('log a failing step and go on with the next one', async () => {
    const { logger, lines } = createCapturedLogger('info');
    const steps = createShutdownSteps(logger);
    let ranAfter = false;
    steps.add('close producer', () => Promise.reject(new Error('broker gone')));
    steps.add('stop scheduler', () => {
      ranAfter = true;
    });
    await expect(steps.run(60_000)).resolves.toBeUndefined();
    expect(ranAfter).toBe(true);
    expect(lines).toContainEqual(
      expect.objectContaining({ step: 'close producer', msg: 'shutdown step failed' }),
    );
  });

  it('stop waiting for a step that overruns the budget, and skip what the budget no longer covers', async () => {
    const { logger, lines } = createCapturedLogger('info');
    const steps = createShutdownSteps(logger);
    let skippedRan = false;
    steps.add('hanging flush', () => new Promise(() => undefined));
    steps.add('after the budget', () => {
      skippedRan = true;
    });
    // The budget runs on fake time: it is spent when the test says so, however busy the machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      let finished = false;
      const running = steps.run(100).then(() => {
        finished = true;
      });
      await vi.advanceTimersByTimeAsync(99);
      expect(finished).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await running;
    } finally {
      vi.useRealTimers();
    }
    expect(skippedRan).toBe(false);
    expect(lines.map((line) => [line.step, line.msg])).toEqual([
      ['hanging flush', 'shutdown step overran its budget'],
      ['after the budget', 'shutdown budget spent: skipping shutdown step'],
    ]);
  });
});
