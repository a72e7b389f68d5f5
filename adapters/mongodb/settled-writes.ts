import type { OutboxEvent } from '../../src/ports/outbox.ts';
import type { MongoHandle } from './collections.ts';
import { appendOutboxEvents, removeOutboxEvents } from './outbox-store.ts';
import { isStoreUnreachable } from './store-errors.ts';
import type { Change, ChangeOutcome, EventWrites } from './write-with-events.ts';

/**
 * Writes with events on a server without multi-document transactions (a standalone mongod, and
 * the servers docs/mongodb-storage.md lists), by the outbox's settle rule: the events are written
 * first, then the change. If the change reports it did not apply, or fails in a way that proves
 * it did not (a duplicate key, a refused document), the events are taken back. If the store
 * became unreachable mid-way, the events stay: the change may or may not have happened, and an
 * event without its change is the failure the relay and consumers tolerate (at-least-once,
 * consumers re-read state), whereas a change without its event would be lost for good.
 *
 * Changes get no session; one spanning several documents undoes its own partial work
 * (AllOrNoneChange.withUndo).
 */
export function createSettledEventWrites(handle: MongoHandle): EventWrites {
  const write = async <T>(events: readonly OutboxEvent[], change: Change<T>): Promise<T> => {
    if (events.length === 0) return (await change(undefined)).value;
    const appended = await appendOutboxEvents(handle, events);
    let outcome: ChangeOutcome<T>;
    try {
      outcome = await change(undefined);
    } catch (error) {
      if (!isStoreUnreachable(error)) await removeOutboxEvents(handle, appended);
      throw error;
    }
    if (!outcome.applied) await removeOutboxEvents(handle, appended);
    return outcome.value;
  };

  return {
    write,

    writeAllOrNone: (events, change) => write(events, () => change.withUndo()),

    // The events are built from a read before the change: the change must then act on exactly
    // what was read (delete those ids), so that nothing changes without its event. A change
    // that finds all of it gone (a concurrent removal recorded its own events) reports
    // `applied: false`, and these events are taken back.
    async writeDerived(change) {
      const read = await change.read(undefined);
      return write(change.eventsFor(read), () => change.apply(read, undefined));
    },
  };
}
