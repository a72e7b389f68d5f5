import type { ShutdownSteps } from '../lifecycle/shutdown-steps.ts';
import type { StopStep } from '../lifecycle/stop-order.ts';
import type { Argon2Component } from './argon2-component.ts';
import type { CatalogChangesComponent } from './catalog-changes-component.ts';
import type { Housekeeping } from './housekeeping.ts';
import type { HttpComponent } from './http-component.ts';
import type { IdleReclaimComponent } from './idle-reclaim-component.ts';
import type { KeysComponent } from './keys-component.ts';
import type { StoreComponent } from './store-component.ts';

/** The parts of a running Tessera that `Tessera.stop()` stops, and how each is stopped. */
export interface StoppableParts {
  readonly http: Pick<HttpComponent, 'turnReadinessOff' | 'keepServingFor' | 'close'>;
  readonly housekeeping: Pick<Housekeeping, 'stop'>;
  readonly idleReclaim: Pick<IdleReclaimComponent, 'stop'>;
  readonly keys: Pick<KeysComponent, 'beginStop' | 'stop'>;
  readonly catalogChanges: Pick<CatalogChangesComponent, 'beginStop' | 'stop'>;
  /** What must finish before the store closes: the relay's flush. */
  readonly shutdownSteps: Pick<ShutdownSteps, 'run'>;
  readonly argon2: Pick<Argon2Component, 'stop'>;
  readonly store: Pick<StoreComponent, 'stop'>;
}

export interface StopTiming {
  /** TESSERA_SHUTDOWN_DELAY_MS: how long to keep serving with readiness off. */
  readonly delayMs: number;
  /**
   * TESSERA_SHUTDOWN_TIMEOUT_MS: bounds the request drain, and again the shutdown steps; also
   * the longest the stop waits for any other step.
   */
  readonly timeoutMs: number;
}

/**
 * Room a step that enforces its own bound (the delay, the drain, the shutdown steps' budget) has
 * past that bound before the stop stops waiting for it: it ends itself first.
 */
const OWN_BOUND_GRACE_MS = 5_000;

/**
 * The graceful stop, in order: readiness off → delay → close HTTP → shutdown steps (relay flush)
 * → the pollers' work in progress → argon2 pool → store. The pollers stop starting new work
 * early (key rotation at once; catalog polling once the last request is answered, since those
 * requests read the catalog) and what they have in progress is awaited only before the store
 * closes, so that a slow pass never holds up the drain.
 */
export function gracefulStopOrder(parts: StoppableParts, timing: StopTiming): StopStep[] {
  const { http, housekeeping, idleReclaim, keys, catalogChanges, shutdownSteps, argon2, store } =
    parts;
  const { delayMs, timeoutMs } = timing;
  return [
    { name: 'readiness off', timeoutMs, run: () => http.turnReadinessOff() },
    { name: 'housekeeping', timeoutMs, run: () => housekeeping.stop() },
    { name: 'idle memory reclaim', timeoutMs, run: () => idleReclaim.stop() },
    { name: 'key rotation: no new passes', timeoutMs, run: () => keys.beginStop() },
    {
      name: 'shutdown delay',
      timeoutMs: delayMs + OWN_BOUND_GRACE_MS,
      run: () => http.keepServingFor(delayMs),
    },
    {
      name: 'http',
      timeoutMs: timeoutMs + OWN_BOUND_GRACE_MS,
      run: () => http.close(timeoutMs),
    },
    { name: 'catalog changes: no new reads', timeoutMs, run: () => catalogChanges.beginStop() },
    {
      name: 'shutdown steps',
      timeoutMs: timeoutMs + OWN_BOUND_GRACE_MS,
      run: () => shutdownSteps.run(timeoutMs),
    },
    { name: 'key rotation', timeoutMs, run: () => keys.stop() },
    { name: 'catalog changes', timeoutMs, run: () => catalogChanges.stop() },
    { name: 'argon2 pool', timeoutMs, run: () => argon2.stop() },
    { name: 'store', timeoutMs, run: () => store.stop() },
  ];
}
