import type { Db } from 'mongodb';

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
   * guarantees it. FerretDB 1.x does not: it queries, applies the update in memory and writes
   * the document back by `_id` (internal/handler/common/update.go, UpdateDocument), so two
   * concurrent conditional updates may both "match". Its unique-index inserts are atomic.
   */
  readonly atomicConditionalUpdates: boolean;
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
  };
}
