import type { Logger } from 'pino';

import { runWithin } from './run-within.ts';

/** One step of stopping Tessera (or of undoing a failed startup). */
export interface StopStep {
  readonly name: string;
  /** How long the stop waits for this step before it logs it and goes on with the next one. */
  readonly timeoutMs: number;
  readonly run: () => Promise<void> | void;
}

/**
 * Runs the steps one at a time, in order. A step that fails is logged and the next one still
 * runs (the store must close whatever failed before it); a step still running at its timeout is
 * logged and left behind. Once every step has had its turn, rejects with the first failure if
 * any step failed, so that the process exits non-zero; a timeout alone is not a failure.
 */
export async function runStopOrder(steps: readonly StopStep[], logger: Logger): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    const outcome = await runWithin(step.run, step.timeoutMs);
    if (outcome === 'timeout') {
      logger.warn(
        { step: step.name, timeoutMs: step.timeoutMs },
        'stop step overran its timeout; going on without it',
      );
    } else if (outcome !== 'done') {
      logger.error({ step: step.name, err: outcome.error }, 'stop step failed');
      failures.push(outcome.error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
