import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';
import { appendOutboxEvents } from './outbox-store.ts';

/** A row of a table that keeps each record as JSON in its `record` column. */
export interface RecordRow {
  record: string;
}

export const parseRecord = <T>(row: RecordRow | undefined): T | undefined =>
  row ? (JSON.parse(row.record) as T) : undefined;

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { errcode?: number }).errcode;
  return code === 2067 /* SQLITE_CONSTRAINT_UNIQUE */ || code === 1555; /* _PRIMARYKEY */
}

/**
 * One guarded write of a record and the events that announce it, in one transaction (the
 * outbox's atomicity, docs/events.md "Delivery"). `write` returns how many rows it changed:
 * anything but one — absent, or stored under another version — writes nothing and answers false,
 * as does a unique constraint (an id, audience or username already taken).
 */
export function writeRecordWithEvents(
  db: SqliteDatabase,
  options: WriteOptions | undefined,
  clock: () => number,
  write: () => number | bigint,
): boolean {
  try {
    return db.transaction(() => {
      if (Number(write()) !== 1) return false;
      appendOutboxEvents(db, options, clock());
      return true;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
