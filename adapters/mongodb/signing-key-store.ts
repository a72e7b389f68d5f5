import { MongoBulkWriteError, type ClientSession } from 'mongodb';

import type {
  SigningKeyRecord,
  SigningKeyState,
  SigningKeyStore,
} from '../../src/ports/signing-keys.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import { signingKeysOf, type MongoStoreContext, type SigningKeyDocument } from './collections.ts';
import { isDuplicateKeyError } from './store-errors.ts';
import {
  inSession,
  writeAllOrNone,
  writeWithEvents,
  type ChangeOutcome,
} from './write-with-events.ts';

type Transition = { readonly record: SigningKeyRecord; readonly expectedState: SigningKeyState };

const toDocument = (record: SigningKeyRecord): SigningKeyDocument => ({
  _id: record.kid,
  state: record.state,
  record: JSON.stringify(record),
});

const APPLIED: ChangeOutcome<boolean> = { value: true, applied: true };
const REFUSED: ChangeOutcome<boolean> = { value: false, applied: false };

/**
 * Signing keys keyed by kid. Inserts and transitions touch several documents and are all or
 * none (writeAllOrNone): inside a transaction where the server has them, otherwise by undoing
 * the documents already written when a later one is refused. Each key's state filter is the
 * compare-and-set (conditional-writes.ts).
 */
export function createMongoSigningKeyStore(ctx: MongoStoreContext): SigningKeyStore {
  // Looked up per call: the connection may have been replaced (mongo-connection.ts).
  const keys = () => signingKeysOf(ctx.db);

  /** Ordered: a kid already taken stops the insert there (and aborts the transaction). */
  const insertInTransaction = async (
    records: readonly SigningKeyRecord[],
    session: ClientSession,
  ): Promise<ChangeOutcome<boolean>> => {
    await keys().insertMany(records.map(toDocument), { ordered: true, session });
    return APPLIED;
  };

  const insertWithUndo = async (
    records: readonly SigningKeyRecord[],
  ): Promise<ChangeOutcome<boolean>> => {
    try {
      await keys().insertMany(records.map(toDocument), { ordered: true });
    } catch (error) {
      if (error instanceof MongoBulkWriteError && isDuplicateKeyError(error)) {
        // Ordered: the keys before the refused one went in. Take them out again.
        const inserted = records.slice(0, error.insertedCount).map((record) => record.kid);
        if (inserted.length > 0) await keys().deleteMany({ _id: { $in: inserted } });
      }
      throw error;
    }
    return APPLIED;
  };

  /** Compare-and-set of one key's state; true when it was still in `expectedState`. */
  const replaceFrom = async (
    document: SigningKeyDocument,
    expectedState: string,
    session: ClientSession | undefined,
  ) => {
    const { _id, ...fields } = document;
    const result = await keys().updateOne(
      { _id, state: expectedState },
      { $set: fields },
      inSession(session),
    );
    return result.matchedCount === 1;
  };

  const transitionInTransaction = async (
    changes: readonly Transition[],
    session: ClientSession,
  ): Promise<ChangeOutcome<boolean>> => {
    for (const { record, expectedState } of changes) {
      // A refusal rolls the whole transaction back (the transaction aborts on !applied).
      if (!(await replaceFrom(toDocument(record), expectedState, session))) return REFUSED;
    }
    return APPLIED;
  };

  /**
   * Without transactions: check every expected state first, so that a stale request (the usual
   * refusal) writes nothing; then apply each with its own state filter, and if a concurrent
   * writer moved a key in between, put the already-applied ones back as they were.
   */
  const transitionWithUndo = async (
    changes: readonly Transition[],
  ): Promise<ChangeOutcome<boolean>> => {
    const kids = changes.map(({ record }) => record.kid);
    const current = new Map(
      (
        await keys()
          .find({ _id: { $in: kids } })
          .toArray()
      ).map((doc) => [doc._id, doc]),
    );
    if (
      changes.some(({ record, expectedState }) => current.get(record.kid)?.state !== expectedState)
    ) {
      return REFUSED;
    }
    const applied: SigningKeyDocument[] = [];
    for (const { record, expectedState } of changes) {
      const next = toDocument(record);
      if (!(await replaceFrom(next, expectedState, undefined))) {
        for (const done of applied.reverse()) {
          await replaceFrom(current.get(done._id) as SigningKeyDocument, done.state, undefined);
        }
        return REFUSED;
      }
      applied.push(next);
    }
    return APPLIED;
  };

  return {
    async list() {
      const documents = await keys().find({}).sort({ _id: 1 }).toArray();
      return documents.map((document) => JSON.parse(document.record) as SigningKeyRecord);
    },

    async insert(records, options?: WriteOptions) {
      try {
        return await writeAllOrNone(ctx, options, {
          inTransaction: (session) => insertInTransaction(records, session),
          withUndo: () => insertWithUndo(records),
        });
      } catch (error) {
        if (isDuplicateKeyError(error)) return false;
        throw error;
      }
    },

    async transition(changes, options?: WriteOptions) {
      const locked = changes.map(({ record }) => `signing_keys:${record.kid}`);
      return ctx.profile.conditionalWrites.compareAndSet(locked, () =>
        writeAllOrNone(ctx, options, {
          inTransaction: (session) => transitionInTransaction(changes, session),
          withUndo: () => transitionWithUndo(changes),
        }),
      );
    },

    async delete(kids, options?: WriteOptions) {
      await writeWithEvents(ctx, options, async (session) => {
        await keys().deleteMany({ _id: { $in: [...kids] } }, inSession(session));
        return { value: undefined, applied: true };
      });
    },
  };
}
