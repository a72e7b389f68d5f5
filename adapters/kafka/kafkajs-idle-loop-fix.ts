import { createRequire } from 'node:module';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests: (this: RequestQueue) => void;
}

const PATCHED = Symbol.for('tessera.kafkajs-idle-loop-fix');

/**
 * kafkajs 2.2.4 reschedules its pending-request check after every check, even with nothing
 * pending and no throttle, so each broker connection runs a 1 ms timer loop for as long as it is
 * open (tulios/kafkajs#1704; on Node 24 each turn also emits a TimeoutNegativeWarning,
 * tulios/kafkajs#1751). Measured here: an idle connected producer used 170 ms of CPU per 5 s
 * with the loop and 7 ms without. kafkajs is unmaintained, so the fix proposed in #1768 is
 * applied here: skip the reschedule when nothing waits and no throttle runs. A request pushed
 * later is sent at once or schedules its own check (RequestQueue#push), so nothing is delayed.
 * Idempotent; applies to the whole process (the class is shared by every kafkajs client).
 */
export function installKafkajsIdleLoopFix(): void {
  const RequestQueueClass = createRequire(import.meta.url)(
    'kafkajs/src/network/requestQueue/index.js',
  ) as { prototype: RequestQueue & { [PATCHED]?: true } };
  const prototype = RequestQueueClass.prototype;
  if (prototype[PATCHED]) return;
  const original = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
    this: RequestQueue,
  ) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    original.call(this);
  };
  prototype[PATCHED] = true;
}
