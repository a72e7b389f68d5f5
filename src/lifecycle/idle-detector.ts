/**
 * When has a busy server gone quiet? Asked once per check with the count of requests served so
 * far; answers "reclaim now" once per quiet spell that follows traffic, never under load and
 * never again until traffic has come back (docs/decisions/0009-idle-memory-reclaim.md).
 */
export interface IdlePolicy {
  /** A check that saw at most this many requests per second counts as quiet (probes, scrapes). */
  readonly quietRequestsPerS: number;
  /** How long the quiet must have lasted, ms, before memory is reclaimed. */
  readonly quietForMs: number;
}

export interface IdleDetector {
  /** One check, with the requests served since the process started; true = reclaim now. */
  observe(requestsSoFar: number): boolean;
}

export function createIdleDetector(policy: IdlePolicy, clock: () => number): IdleDetector {
  let lastAt = clock();
  let lastCount = 0;
  /**
   * Traffic since the last reclaim. Start-up counts as traffic: loading modules, migrations and
   * the first compilations leave garbage like a load does.
   */
  let busy = true;
  /** When the current quiet spell began; undefined while traffic flows. */
  let quietSince: number | undefined;
  return {
    observe(requestsSoFar) {
      const now = clock();
      const elapsedMs = now - lastAt;
      if (elapsedMs <= 0) return false;
      const ratePerS = ((requestsSoFar - lastCount) * 1000) / elapsedMs;
      const checkStartedAt = lastAt;
      lastAt = now;
      lastCount = requestsSoFar;
      if (ratePerS > policy.quietRequestsPerS) {
        busy = true;
        quietSince = undefined;
        return false;
      }
      quietSince ??= checkStartedAt;
      if (!busy || now - quietSince < policy.quietForMs) return false;
      busy = false;
      return true;
    },
  };
}
