import type {
  OutboxEvent,
  OutboxQuery,
  OutboxStore,
  StoredOutboxEvent,
} from '../../src/ports/outbox.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';

interface OutboxRow {
  sequence: number;
  event: string;
  published_at: number | null;
}

/** Appends events inside the caller's transaction (see WriteOptions). */
export function appendOutboxEvents(
  db: SqliteDatabase,
  options: WriteOptions | undefined,
  now: number,
): void {
  const insert = db.statement(
    'INSERT INTO outbox (id, type, event, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  for (const event of options?.events ?? []) {
    insert.run(event.id, event.type, JSON.stringify(event), now);
  }
}

export function createSqliteOutboxStore(db: SqliteDatabase, clock: () => number): OutboxStore {
  return {
    async append(events: readonly OutboxEvent[]) {
      db.transaction(() => appendOutboxEvents(db, { events }, clock()));
    },

    async listRecent(query: OutboxQuery): Promise<StoredOutboxEvent[]> {
      const rows = (query.type === undefined
        ? db
            .statement(
              'SELECT sequence, event, published_at FROM outbox ORDER BY sequence DESC LIMIT ?',
            )
            .all(query.limit)
        : db
            .statement(
              'SELECT sequence, event, published_at FROM outbox WHERE type = ? ORDER BY sequence DESC LIMIT ?',
            )
            .all(query.type, query.limit)) as unknown as OutboxRow[];
      return rows.map((row) => ({
        ...(JSON.parse(row.event) as OutboxEvent),
        sequence: row.sequence,
        publishedAt: row.published_at ?? undefined,
      }));
    },
  };
}
