import { MongoError, type ClientSession, type MongoClient } from 'mongodb';

import { isStoreUnreachable } from './store-errors.ts';

/** How long a transaction keeps retrying write conflicts with concurrent transactions. */
const RETRY_BUDGET_MS = 5_000;
const MAX_COMMIT_ATTEMPTS = 3;

/** A short, growing, jittered pause, so that conflicting transactions stop colliding. */
const backOff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(100, 5 * 2 ** attempt) * Math.random()));

const hasLabel = (error: unknown, label: string) =>
  error instanceof MongoError && error.hasErrorLabel(label);

/**
 * Runs `work` in a multi-document transaction and commits it, retrying on the labels the
 * transactions specification marks as safe to retry (TransientTransactionError for the whole
 * transaction, e.g. a write conflict with a concurrent one; UnknownTransactionCommitResult for
 * the commit), for at most RETRY_BUDGET_MS.
 *
 * Not the driver's `withTransaction`: that one retries for up to 120 s, and an unreachable store
 * is labelled transient, so a request would hang for two minutes instead of answering 503 once
 * server selection gives up. Here an unreachable store fails at once.
 *
 * `work` may run more than once and must not swallow errors of its own operations (the driver
 * cannot tell an aborted transaction from a live one otherwise).
 */
export async function runInTransaction<T>(
  client: MongoClient,
  work: (session: ClientSession) => Promise<T>,
): Promise<T> {
  const session = client.startSession();
  const deadline = Date.now() + RETRY_BUDGET_MS;
  try {
    for (let attempt = 1; ; attempt += 1) {
      const retryable = (error: unknown, label: string) =>
        Date.now() < deadline && hasLabel(error, label) && !isStoreUnreachable(error);
      session.startTransaction({ writeConcern: { w: 'majority' } });
      let result: T;
      try {
        result = await work(session);
      } catch (error) {
        if (session.inTransaction()) await session.abortTransaction();
        if (!retryable(error, 'TransientTransactionError')) throw error;
        await backOff(attempt);
        continue;
      }
      try {
        await commitWithRetry(session);
        return result;
      } catch (error) {
        if (!retryable(error, 'TransientTransactionError')) throw error;
        await backOff(attempt);
      }
    }
  } finally {
    await session.endSession();
  }
}

async function commitWithRetry(session: ClientSession): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await session.commitTransaction();
      return;
    } catch (error) {
      const again =
        attempt < MAX_COMMIT_ATTEMPTS &&
        hasLabel(error, 'UnknownTransactionCommitResult') &&
        !isStoreUnreachable(error);
      if (!again) throw error;
    }
  }
}
