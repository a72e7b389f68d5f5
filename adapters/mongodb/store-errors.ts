import {
  MongoBulkWriteError,
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

import { StoreUnavailableError } from '../../src/ports/storage.ts';
import { withTimeout } from '../../src/runtime/with-timeout.ts';
import type { AvailabilityListener } from './store-availability.ts';

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

/**
 * Socket errors the driver sometimes lets through unwrapped: a write to a connection the server
 * has just closed surfaces as a plain `EPIPE` Error from Connection.writeCommand (seen in the
 * fault drill, mongodb 7.9.0), not as a MongoNetworkError.
 */
const SOCKET_ERROR_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
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
  if (error instanceof MongoServerError) return UNAVAILABLE_SERVER_CODES.has(Number(error.code));
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
}

/** A unique index (the `_id` one included) refused the write. */
export function isDuplicateKeyError(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors: { code: unknown }[] = [error.writeErrors].flat();
    return writeErrors.length > 0 && writeErrors.every((w) => w.code === DUPLICATE_KEY);
  }
  return error instanceof MongoError && error.code === DUPLICATE_KEY;
}

/**
 * Runs an upsert by `_id`, and once more if it lost the race to create the document: two
 * first-ever upserts of one `_id` can both try the insert, and the loser's retry is an update.
 */
export async function retryLostUpsertRace<T>(upsert: () => Promise<T>): Promise<T> {
  try {
    return await upsert();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return upsert();
  }
}

/** Turns "store unreachable" into the port's StoreUnavailableError; leaves the rest alone. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isStoreUnreachable(error)) return error;
  return new StoreUnavailableError(`MongoDB is unreachable: ${(error as Error).message}`, {
    cause: error,
  });
}

/** No port operation takes this long unless something is stuck; see guardStoreErrors. */
export const OPERATION_TIMEOUT_MS = 15_000;

export interface GuardOptions {
  readonly availability?: AvailabilityListener;
  /** Upper bound on one port operation, whatever the driver does (default OPERATION_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

/**
 * Wraps every method of a port so that driver errors meaning "unreachable" surface as
 * StoreUnavailableError, which the oidc-provider adapter and the HTTP layer turn into 503
 * (src/provider/protocol-errors.ts, src/http/middleware.ts), and the availability listener hears
 * of every outcome. Each store file builds its port plainly; open-mongodb-storage.ts applies this
 * once to all of them.
 *
 * Each operation is also bounded in time. The driver's own timeouts (server selection, socket)
 * bound nearly everything, but a write to a connection the server has just closed can wait
 * forever for a `drain` event (mongo-connection.ts); a request must not hang with it. An operation
 * cut off this way may still complete later, like any write whose answer was lost.
 */
export function guardStoreErrors<Port extends object>(
  port: Port,
  options: GuardOptions = {},
): Port {
  const { availability } = options;
  const timeoutMs = options.timeoutMs ?? OPERATION_TIMEOUT_MS;
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(port)) {
    guarded[name] =
      typeof member === 'function'
        ? async (...args: unknown[]) => {
            try {
              // A network timeout, so that it counts as "unreachable" like the driver's own.
              const result = await withTimeout(
                (member as (...a: unknown[]) => Promise<unknown>).apply(port, args),
                timeoutMs,
                () => new MongoNetworkTimeoutError(`no answer from MongoDB within ${timeoutMs} ms`),
              );
              availability?.succeeded();
              return result;
            } catch (error) {
              if (isStoreUnreachable(error)) availability?.failed(error as Error);
              throw toStoreError(error);
            }
          }
        : member;
  }
  return guarded as Port;
}
