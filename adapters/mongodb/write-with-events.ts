import type { ClientSession } from 'mongodb';

import type { OutboxEvent } from '../../src/ports/outbox.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { MongoStoreContext } from './collections.ts';
import { appendOutboxEvents, removeOutboxEvents } from './outbox-store.ts';
import { isDuplicateKeyError, isStoreUnreachable } from './store-errors.ts';
import { runInTransaction } from './transactions.ts';

/** Carries a "did not apply" outcome out of a transaction, aborting it on the way. */
class NotApplied extends Error {
  readonly value: unknown;
  constructor(value: unknown) {
    super('change did not apply');
    this.value = value;
  }
}

/** `{ session }` for a driver call when there is a transaction, nothing otherwise. */
export const inSession = (session: ClientSession | undefined): { session?: ClientSession } =>
  session ? { session } : {};

/** What a change reports: its result, and whether it changed anything (events follow only then). */
export interface ChangeOutcome<T> {
  readonly value: T;
  readonly applied: boolean;
}

/** A state change; pass `session` to every operation so it joins the transaction when there is one. */
export type Change<T> = (session: ClientSession | undefined) => Promise<ChangeOutcome<T>>;

/**
 * Applies a change together with its outbox events (WriteOptions, DESIGN.md section 7).
 *
 * - With transactions (a MongoDB replica set or sharded cluster): the change and the events
 *   commit together or not at all; a change that reports it did not apply is rolled back and
 *   its events are not written.
 * - Without (FerretDB, a standalone mongod): the events are written first, then the change. If
 *   the change reports it did not apply, or fails in a way that proves it did not (a duplicate
 *   key, a refused document), the events are taken back. If the store became unreachable
 *   mid-way, the events stay: the change may or may not have happened, and an event without its
 *   change is the failure the relay and consumers tolerate (at-least-once, consumers re-read
 *   state), whereas a change without its event would be lost for good.
 *
 * A change that throws a refusal (e.g. duplicate key) is rethrown for the store to interpret.
 * `multiDocument` changes (several documents, all or none) get a transaction even without
 * events where the server has them; without, they are called with no session and must undo
 * their own partial work (see signing-key-store.ts).
 */
export async function writeWithEvents<T>(
  ctx: MongoStoreContext,
  options: WriteOptions | undefined,
  change: Change<T>,
  shape: { readonly multiDocument?: boolean } = {},
): Promise<T> {
  const events: readonly OutboxEvent[] = options?.events ?? [];
  const transactional = ctx.capabilities.transactions && (events.length > 0 || shape.multiDocument);
  if (!transactional && events.length === 0) return (await change(undefined)).value;

  if (transactional) {
    try {
      return await runInTransaction(ctx.client, async (session) => {
        const outcome = await change(session);
        // Abort, so that whatever part of the change did happen is rolled back.
        if (!outcome.applied) throw new NotApplied(outcome.value);
        await appendOutboxEvents(ctx, events, session);
        return outcome.value;
      });
    } catch (error) {
      if (error instanceof NotApplied) return error.value as T;
      throw error;
    }
  }

  const appended = await appendOutboxEvents(ctx, events);
  let outcome: ChangeOutcome<T>;
  try {
    outcome = await change(undefined);
  } catch (error) {
    if (!isStoreUnreachable(error)) await removeOutboxEvents(ctx, appended);
    throw error;
  }
  if (!outcome.applied) await removeOutboxEvents(ctx, appended);
  return outcome.value;
}

/**
 * One guarded write of a record and the events that announce it, as
 * adapters/sqlite/record-writes.ts does it: `write` returns how many documents it inserted,
 * matched or deleted. Anything but one (absent, or stored under another version) answers false
 * and keeps no event, as does a unique index refusing the write (an id, audience or username
 * already taken).
 */
export async function writeRecordWithEvents(
  ctx: MongoStoreContext,
  options: WriteOptions | undefined,
  write: (session: ClientSession | undefined) => Promise<number>,
): Promise<boolean> {
  try {
    return await writeWithEvents(ctx, options, async (session) => {
      const applied = (await write(session)) === 1;
      return { value: applied, applied };
    });
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}
