import type {
  OutboxBacklog,
  OutboxEvent,
  OutboxQuery,
  OutboxStore,
  PendingQuery,
  PruneQuery,
  StoredOutboxEvent,
} from '../../src/ports/outbox.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';

interface OutboxRow {
  sequence: number;
  event: string;
  created_at: number;
  published_at: number | null;
}

const COLUMNS = 'sequence, event, created_at, published_at';

/** Appends events inside the caller's transaction (see WriteOptions). */
export function appendOutboxEvents(
  db: SqliteDatabase,
  options: WriteOptions | undefined,
  now: number,
): void {
  appendEvents(db, options?.events ?? [], now);
}

/** Appends events inside the caller's transaction; an id already present keeps its first copy. */
export function appendEvents(
  db: SqliteDatabase,
  events: readonly OutboxEvent[],
  now: number,
): void {
  const insert = db.statement(
    'INSERT INTO outbox (id, type, event, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  for (const event of events) {
    insert.run(event.id, event.type, JSON.stringify(event), now);
  }
}

const toStored = (row: OutboxRow): StoredOutboxEvent => ({
  ...(JSON.parse(row.event) as OutboxEvent),
  sequence: row.sequence,
  createdAt: row.created_at,
  publishedAt: row.published_at ?? undefined,
});

/**
 * The outbox as one table. `sequence` is an AUTOINCREMENT key assigned inside the writing
 * transaction, and SQLite runs one write transaction at a time, so sequence order is commit
 * order here.
 */
export function createSqliteOutboxStore(db: SqliteDatabase, clock: () => number): OutboxStore {
  return {
    async append(events: readonly OutboxEvent[]) {
      db.transaction(() => appendEvents(db, events, clock()));
    },

    async listRecent(query: OutboxQuery): Promise<StoredOutboxEvent[]> {
      const rows = (query.type === undefined
        ? db
            .statement(`SELECT ${COLUMNS} FROM outbox ORDER BY sequence DESC LIMIT ?`)
            .all(query.limit)
        : db
            .statement(
              `SELECT ${COLUMNS} FROM outbox WHERE type = ? ORDER BY sequence DESC LIMIT ?`,
            )
            .all(query.type, query.limit)) as unknown as OutboxRow[];
      return rows.map(toStored);
    },

    async listPending(query: PendingQuery): Promise<StoredOutboxEvent[]> {
      // The partial index outbox_pending serves both the filter and the order.
      const rows = db
        .statement(
          `SELECT ${COLUMNS} FROM outbox WHERE published_at IS NULL AND created_at <= ?
           ORDER BY sequence LIMIT ?`,
        )
        .all(query.appendedUpTo, query.limit) as unknown as OutboxRow[];
      return rows.map(toStored);
    },

    async markPublished(ids: readonly string[], publishedAt: number) {
      if (ids.length === 0) return;
      const mark = db.statement(
        'UPDATE outbox SET published_at = ? WHERE id = ? AND published_at IS NULL',
      );
      db.transaction(() => {
        for (const id of ids) mark.run(publishedAt, id);
      });
    },

    async prune(query: PruneQuery) {
      return db.transaction(() => {
        let deleted = Number(
          db
            .statement('DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ?')
            .run(query.before).changes,
        );
        if (query.unpublished) {
          deleted += Number(
            db
              .statement('DELETE FROM outbox WHERE published_at IS NULL AND created_at < ?')
              .run(query.before).changes,
          );
        }
        return deleted;
      });
    },

    async backlog(): Promise<OutboxBacklog> {
      const row = db
        .statement(
          'SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM outbox WHERE published_at IS NULL',
        )
        .get() as { pending: number; oldest: number | null };
      return { pending: Number(row.pending), oldestPendingAt: row.oldest ?? undefined };
    },
  };
}
