/**
 * `promise`, or a rejection ("no answer within … ms") once `timeoutMs` has passed: for reads a
 * probe or a scrape must not wait on indefinitely (/readyz, the outbox and key gauges). The
 * work itself is not cancelled.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}
