import type { ClientSession } from 'mongodb';

import type { OutboxEvent } from '../../src/ports/outbox.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { MongoStoreContext } from './collections.ts';
import { isDuplicateKeyError } from './store-errors.ts';

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

/** A change whose events are built from what it reads first (a removal announcing what it removed). */
export interface DerivedChange<Read, T> {
  /** Reads what the change will act on. */
  read(session: ClientSession | undefined): Promise<Read>;
  eventsFor(read: Read): readonly OutboxEvent[];
  /** Applies the change to exactly what was read (e.g. deletes those ids). */
  apply(read: Read, session: ClientSession | undefined): Promise<ChangeOutcome<T>>;
}

/** A change to several documents, all or none, in the two forms a server may need. */
export interface AllOrNoneChange<T> {
  /** Inside a transaction: a refusal (`applied: false`) rolls back whatever part happened. */
  inTransaction(session: ClientSession): Promise<ChangeOutcome<T>>;
  /** Without one: checks first, and puts back what it already wrote when a later part is refused. */
  withUndo(): Promise<ChangeOutcome<T>>;
}

/**
 * How the server applies a change together with its outbox events (WriteOptions): in one
 * transaction where it has them (transaction-writes.ts), otherwise by the settle rule
 * (settled-writes.ts). Chosen once per server (server-profile.ts).
 */
export interface EventWrites {
  write<T>(events: readonly OutboxEvent[], change: Change<T>): Promise<T>;
  writeDerived<Read, T>(change: DerivedChange<Read, T>): Promise<T>;
  writeAllOrNone<T>(events: readonly OutboxEvent[], change: AllOrNoneChange<T>): Promise<T>;
}

/**
 * Applies a change together with its outbox events, as the server profile does it (EventWrites).
 * A change that throws a refusal (e.g. duplicate key) is rethrown for the store to interpret.
 */
export function writeWithEvents<T>(
  ctx: MongoStoreContext,
  options: WriteOptions | undefined,
  change: Change<T>,
): Promise<T> {
  return ctx.profile.eventWrites.write(options?.events ?? [], change);
}

/** Several documents, all or none, with their events (signing-key-store.ts). */
export function writeAllOrNone<T>(
  ctx: MongoStoreContext,
  options: WriteOptions | undefined,
  change: AllOrNoneChange<T>,
): Promise<T> {
  return ctx.profile.eventWrites.writeAllOrNone(options?.events ?? [], change);
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
