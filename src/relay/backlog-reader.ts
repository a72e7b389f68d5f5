import type { OutboxBacklog, OutboxStore } from '../ports/outbox.ts';

/**
 * Reads the outbox backlog at most once per `maxAgeMs`: /readyz probes and metric scrapes from
 * several sources then cost one count between them, however large the backlog grows.
 * Concurrent callers share one read; a failed read is not cached.
 */
export function createBacklogReader(
  outbox: OutboxStore,
  options: { maxAgeMs: number },
): () => Promise<OutboxBacklog> {
  let cached: { value: OutboxBacklog; readAt: number } | undefined;
  let reading: Promise<OutboxBacklog> | undefined;
  return () => {
    if (cached && performance.now() - cached.readAt < options.maxAgeMs) {
      return Promise.resolve(cached.value);
    }
    reading ??= outbox
      .backlog()
      .then((value) => {
        cached = { value, readAt: performance.now() };
        return value;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}
