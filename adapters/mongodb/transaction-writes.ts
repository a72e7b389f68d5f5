import type { ClientSession } from 'mongodb';

import type { OutboxEvent } from '../../src/ports/outbox.ts';
import type { MongoHandle } from './collections.ts';
import { appendOutboxEvents } from './outbox-store.ts';
import { runInTransaction } from './transactions.ts';
import type { ChangeOutcome, EventWrites } from './write-with-events.ts';

/** Carries a "did not apply" outcome out of a transaction, aborting it on the way. */
class NotApplied extends Error {
  readonly value: unknown;
  constructor(value: unknown) {
    super('change did not apply');
    this.value = value;
  }
}

/**
 * Writes with events on a server with multi-document transactions (a MongoDB replica set or
 * sharded cluster): the change and its events commit together or not at all. A change that
 * reports it did not apply is rolled back and its events are not written. A change without
 * events runs on its own, unless it spans several documents (writeAllOrNone).
 */
export function createTransactionalEventWrites(handle: MongoHandle): EventWrites {
  const commitWithEvents = async <T>(
    events: readonly OutboxEvent[],
    change: (session: ClientSession) => Promise<ChangeOutcome<T>>,
  ): Promise<T> => {
    try {
      return await runInTransaction(handle.client, async (session) => {
        const outcome = await change(session);
        // Abort, so that whatever part of the change did happen is rolled back.
        if (!outcome.applied) throw new NotApplied(outcome.value);
        await appendOutboxEvents(handle, events, session);
        return outcome.value;
      });
    } catch (error) {
      if (error instanceof NotApplied) return error.value as T;
      throw error;
    }
  };

  return {
    async write(events, change) {
      if (events.length === 0) return (await change(undefined)).value;
      return commitWithEvents(events, change);
    },

    writeAllOrNone: (events, change) =>
      commitWithEvents(events, (session) => change.inTransaction(session)),

    // The read, the change and the events in one transaction: the change applies to exactly
    // what was read (a concurrent write to it makes the transaction conflict and run again).
    writeDerived: (change) =>
      runInTransaction(handle.client, async (session) => {
        const read = await change.read(session);
        const outcome = await change.apply(read, session);
        const events = change.eventsFor(read);
        if (events.length > 0) await appendOutboxEvents(handle, events, session);
        return outcome.value;
      }),
  };
}
