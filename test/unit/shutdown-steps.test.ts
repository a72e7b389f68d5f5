import { describe, expect, it } from 'vitest';

import { createShutdownSteps } from '../../src/lifecycle/shutdown-steps.ts';
import { createCapturedLogger } from '../helpers/captured-logger.ts';

describe('shutdown steps', () => {
  it('run one at a time in the order they were added', async () => {
    const { logger } = createCapturedLogger('info');
    const steps = createShutdownSteps(logger);
    const seen: string[] = [];
    steps.add('flush relay', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.push('flush relay');
    });
    steps.add('stop scheduler', () => {
      seen.push('stop scheduler');
    });
    await steps.run(1000);
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
    await expect(steps.run(1000)).resolves.toBeUndefined();
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
    const started = performance.now();
    await steps.run(100);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(skippedRan).toBe(false);
    expect(lines.map((line) => [line.step, line.msg])).toEqual([
      ['hanging flush', 'shutdown step overran its budget'],
      ['after the budget', 'shutdown budget spent: skipping shutdown step'],
    ]);
  });
});
