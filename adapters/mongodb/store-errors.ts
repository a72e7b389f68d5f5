import {
  MongoBulkWriteError,
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

import { StoreUnavailableError } from '../../src/ports/storage.ts';

/**
 * Server error codes that mean "this node cannot serve right now" rather than "this request is
 * wrong": the retryable-read codes of the driver specification (mongodb/specifications,
 * retryable-reads.md "Retryable Error") and the shutdown/step-down states.
 */
const UNAVAILABLE_SERVER_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

const DUPLICATE_KEY = 11000;

/**
 * True when the store could not be reached or could not serve: no server selectable within the
 * timeout, a dropped or timed-out connection, a node shutting down or stepping down, or a client
 * already closed (shutdown). The outcome of a write that failed this way is unknown.
 */
export function isStoreUnreachable(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoClientClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoServerClosedError
  ) {
    return true;
  }
  return error instanceof MongoServerError && UNAVAILABLE_SERVER_CODES.has(Number(error.code));
}

/** A unique index (the `_id` one included) refused the write. */
export function isDuplicateKeyError(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors: { code: unknown }[] = [error.writeErrors].flat();
    return writeErrors.length > 0 && writeErrors.every((w) => w.code === DUPLICATE_KEY);
  }
  return error instanceof MongoError && error.code === DUPLICATE_KEY;
}

/** Turns "store unreachable" into the port's StoreUnavailableError; leaves the rest alone. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isStoreUnreachable(error)) return error;
  return new StoreUnavailableError(`MongoDB is unreachable: ${(error as Error).message}`, {
    cause: error,
  });
}

/**
 * Wraps every method of a port so that driver errors meaning "unreachable" surface as
 * StoreUnavailableError, which the oidc-provider adapter and the HTTP layer turn into 503
 * (src/provider/protocol-errors.ts, src/http/middleware.ts). Each store file builds its port
 * plainly; open-mongodb-storage.ts applies this once to all of them.
 */
export function guardStoreErrors<Port extends object>(port: Port): Port {
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(port)) {
    guarded[name] =
      typeof member === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (member as (...a: unknown[]) => Promise<unknown>).apply(port, args);
            } catch (error) {
              throw toStoreError(error);
            }
          }
        : member;
  }
  return guarded as Port;
}
