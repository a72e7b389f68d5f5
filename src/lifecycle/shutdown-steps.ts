import type { Logger } from 'pino';

import { runWithin } from './run-within.ts';

/**
 * Work that must finish before the store closes: flushing the outbox relay, stopping the key
 * rotation scheduler, closing a Kafka producer. The composition root adds a step next to where
 * it builds the component; `Tessera.stop()` runs them after in-flight requests have drained (so
 * events those requests wrote are flushed too) and before closing the store.
 */
export interface ShutdownSteps {
  /** Steps run one at a time, in the order they were added. */
  add(name: string, run: () => Promise<void> | void): void;
  /**
   * Runs every step within `budgetMs` in total. A step that fails or is still running when the
   * budget is spent is logged and left behind; the remaining steps are skipped only once the
   * budget is gone. Never rejects: the store must still close.
   */
  run(budgetMs: number): Promise<void>;
}

export function createShutdownSteps(logger: Logger): ShutdownSteps {
  const steps: { name: string; run: () => Promise<void> | void }[] = [];
  return {
    add(name, run) {
      steps.push({ name, run });
    },
    async run(budgetMs) {
      const deadline = performance.now() + budgetMs;
      let spent = false;
      for (const step of steps) {
        const remaining = deadline - performance.now();
        if (spent || remaining <= 0) {
          logger.warn({ step: step.name }, 'shutdown budget spent: skipping shutdown step');
          continue;
        }
        const outcome = await runWithin(step.run, remaining);
        if (outcome === 'timeout') {
          // An overrunning step had the whole remaining budget (timers may fire a hair early).
          spent = true;
          logger.warn({ step: step.name, budgetMs }, 'shutdown step overran its budget');
        } else if (outcome !== 'done') {
          logger.error({ step: step.name, err: outcome.error }, 'shutdown step failed');
        }
      }
    },
  };
}
