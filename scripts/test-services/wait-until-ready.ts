import { setTimeout as sleep } from 'node:timers/promises';

import { describeExit, readLogTail } from './process.ts';
import type { LoggedProcess } from './process.ts';

export interface WaitUntilReadyOptions {
  name: string;
  process: LoggedProcess;
  /** Resolves when the service answers; throws while it does not yet. */
  probe: () => Promise<void>;
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it succeeds. Fails early when the process exits, and on timeout kills it;
 * either error carries the log tail, which is usually the only clue to what went wrong.
 */
export async function waitUntilReady(options: WaitUntilReadyOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (!options.process.isRunning()) {
      const status = await options.process.exited;
      throw await startupError(options, `exited during startup (${describeExit(status)})`);
    }
    try {
      await options.probe();
      return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      await options.process.kill();
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw await startupError(
        options,
        `not ready after ${String(options.timeoutMs)} ms (last probe error: ${reason})`,
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

async function startupError(options: WaitUntilReadyOptions, reason: string): Promise<Error> {
  const tail = await readLogTail(options.process.logFile);
  return new Error(
    `${options.name} ${reason}; log ${options.process.logFile}:\n${tail || '(empty)'}`,
  );
}
