import type { Db } from 'mongodb';

import type { MongoHandle } from './collections.ts';
import { atomicConditionalWrites, type ConditionalWrites } from './conditional-writes.ts';
import { createLockedConditionalWrites } from './document-locks.ts';
import { createSettledEventWrites } from './settled-writes.ts';
import { createTransactionalEventWrites } from './transaction-writes.ts';
import type { EventWrites } from './write-with-events.ts';

/** What the connected server can do, detected once when the store opens. */
export interface ServerCapabilities {
  /** e.g. `MongoDB 8.0.4`, `FerretDB v1.24.2`; for logs and the startup line. */
  readonly server: string;
  /**
   * Multi-document transactions: a replica set member or mongos (hello `setName` / `msg:
   * 'isdbgrid'`) that supports sessions (`logicalSessionTimeoutMinutes`). FerretDB answers hello
   * with sessions but has no transactions (its commitTransaction is "no such command").
   */
  readonly transactions: boolean;
  /**
   * A filtered update or findAndModify applies atomically to each document it matches, so
   * `{ consumedAt: null }` or `{ version: n }` in the filter is a compare-and-set. MongoDB
   * guarantees it; FerretDB 1.x does not (document-locks.ts).
   */
  readonly atomicConditionalUpdates: boolean;
  /**
   * TTL indexes (`expireAfterSeconds`). FerretDB 1.24 refuses the option (code 238,
   * NotImplemented); expired records are then only removed by the periodic prune.
   */
  readonly ttlIndexes: boolean;
}

/**
 * The one place where the adapter adapts to its server: the writes that differ, chosen once
 * from the capabilities when the store opens. Stores call these and never ask which server they
 * run on.
 *
 * | capability lacking            | instead                                                    |
 * | ----------------------------- | ---------------------------------------------------------- |
 * | transactions                  | the settle rule (settled-writes.ts)                        |
 * | atomic conditional updates    | document locks and consumption markers (document-locks.ts) |
 * | TTL indexes                   | plain `expiresAt` indexes and the prune (indexes.ts)       |
 *
 * A MongoDB replica set has all three; a standalone mongod lacks transactions; FerretDB 1.24,
 * which the test suite runs on, lacks all three.
 */
export interface ServerProfile {
  readonly capabilities: ServerCapabilities;
  /** Changes with their outbox events: transaction-writes.ts or settled-writes.ts. */
  readonly eventWrites: EventWrites;
  /** Compare-and-set writes: the filter alone, or document-locks.ts. */
  readonly conditionalWrites: ConditionalWrites;
}

export async function detectServerCapabilities(db: Db): Promise<ServerCapabilities> {
  const admin = db.admin();
  const [hello, buildInfo] = await Promise.all([
    admin.command({ hello: 1 }),
    admin.command({ buildInfo: 1 }),
  ]);
  // FerretDB adds `ferretdbVersion` to buildInfo (internal/handler/msg_buildinfo.go).
  const ferretDbVersion: unknown = buildInfo['ferretdbVersion'];
  const isFerretDb = typeof ferretDbVersion === 'string';
  const replicated = typeof hello['setName'] === 'string' || hello['msg'] === 'isdbgrid';
  const sessions = typeof hello['logicalSessionTimeoutMinutes'] === 'number';
  return {
    server: isFerretDb ? `FerretDB ${ferretDbVersion}` : `MongoDB ${String(buildInfo['version'])}`,
    transactions: replicated && sessions && !isFerretDb,
    atomicConditionalUpdates: !isFerretDb,
    ttlIndexes: !isFerretDb,
  };
}

/** The writes for a server with these capabilities, on `handle`'s (replaceable) connection. */
export function profileFor(capabilities: ServerCapabilities, handle: MongoHandle): ServerProfile {
  return {
    capabilities,
    eventWrites: capabilities.transactions
      ? createTransactionalEventWrites(handle)
      : createSettledEventWrites(handle),
    conditionalWrites: capabilities.atomicConditionalUpdates
      ? atomicConditionalWrites
      : createLockedConditionalWrites(handle),
  };
}
