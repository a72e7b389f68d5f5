/**
 * A stop begun at one step of the stop order and waited for at a later one: a poller stops
 * starting new work at once, while the work it has in progress is only awaited before the store
 * closes, so that a slow pass never holds up the drain.
 */
export interface DeferredStop {
  /** Stops new work now; what is in progress goes on. */
  begin(): void;
  /** Begins the stop if it was not, and resolves (or rejects) once it is complete. */
  finish(): Promise<void>;
}

export function deferStop(stop: () => Promise<void>): DeferredStop {
  let stopping: Promise<void> | undefined;
  const finish = () => (stopping ??= stop());
  return {
    begin() {
      // Handled here so that a failure before finish() is not an unhandled rejection; finish()
      // still returns the original promise, which rejects with it.
      finish().catch(() => undefined);
    },
    finish,
  };
}
