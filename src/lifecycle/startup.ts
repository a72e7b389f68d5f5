import type { Logger } from 'pino';

import { runStopOrder } from './stop-order.ts';

/** A part of Tessera that holds something once built: a store, a listener, threads, timers. */
export interface StartedComponent {
  readonly name: string;
  /**
   * Lets go of what it holds at once, without draining or flushing: a part built after it failed
   * to start, and nothing was ever served through it but "starting" answers.
   */
  abort(): Promise<void> | void;
}

/** What a startup has built so far, to be undone if a later part fails. */
export interface Startup {
  /** Records a component that has been built (and may hold something); returns it. */
  add<T extends StartedComponent>(component: T): T;
  /**
   * Aborts every recorded component, the latest first, waiting for each at most the timeout
   * the startup was created with. Never rejects: failures are logged, and the caller rethrows
   * the error that failed the startup.
   */
  unwind(): Promise<void>;
}

export function createStartup(logger: Logger, timeoutMs: number): Startup {
  const components: StartedComponent[] = [];
  return {
    add(component) {
      components.push(component);
      return component;
    },
    async unwind() {
      const steps = components
        .toReversed()
        .map((component) => ({ name: component.name, timeoutMs, run: () => component.abort() }));
      await runStopOrder(steps, logger).catch(() => undefined);
    },
  };
}
