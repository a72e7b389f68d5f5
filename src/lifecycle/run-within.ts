/**
 * Runs `run` and waits for it at most `timeoutMs`: `'done'`, `{ error }` when it threw or
 * rejected, or `'timeout'` when it was still running (it is not cancelled, only no longer
 * waited for). Never rejects.
 */
export async function runWithin(
  run: () => Promise<void> | void,
  timeoutMs: number,
): Promise<'done' | 'timeout' | { error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const work = (async () => {
    await run();
    return 'done' as const;
  })().catch((error: unknown) => ({ error }));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
