/**
 * `promise`, or a rejection once `timeoutMs` has passed: for work a caller must not wait on
 * indefinitely (/readyz, the outbox and key gauges, every MongoDB port operation). The rejection
 * is `timeoutError()` when given (so callers can make it an error they already recognise), else
 * "no answer within … ms". The work itself is not cancelled, and the timer does not keep the
 * process alive.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  timeoutError: () => Error = () => new Error(`no answer within ${timeoutMs} ms`),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError()), timeoutMs);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
