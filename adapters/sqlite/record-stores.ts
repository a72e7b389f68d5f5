import type {
  ClientDeletionOptions,
  ClientRecord,
  ClientStore,
  Page,
} from '../../src/ports/clients.ts';
import { CLIENT_BOUND_MODELS } from '../../src/ports/oidc-models.ts';
import {
  completeResourceServerRecord,
  type ResourceServerRecord,
  type ResourceServerStore,
  type StoredResourceServerRecord,
} from '../../src/ports/resource-servers.ts';
import type { DeleteOptions, WriteOptions } from '../../src/ports/write-options.ts';
import type { SqliteDatabase } from './database.ts';
import { removeClientModelsIn } from './oidc-model-store.ts';
import { appendOutboxEvents } from './outbox-store.ts';
import { parseRecord, writeRecordWithEvents, type RecordRow } from './record-writes.ts';

export function createSqliteClientStore(db: SqliteDatabase, clock: () => number): ClientStore {
  const write = (options: WriteOptions | undefined, run: () => number | bigint) =>
    writeRecordWithEvents(db, options, clock, run);
  return {
    async insert(record: ClientRecord, options?: WriteOptions) {
      return write(
        options,
        () =>
          db
            .statement('INSERT INTO clients (client_id, version, record) VALUES (?, ?, ?)')
            .run(record.clientId, record.version, JSON.stringify(record)).changes,
      );
    },

    async get(clientId: string) {
      return parseRecord<ClientRecord>(
        db.statement('SELECT record FROM clients WHERE client_id = ?').get(clientId) as
          RecordRow | undefined,
      );
    },

    async list(page: Page) {
      const rows = db
        .statement('SELECT record FROM clients WHERE client_id > ? ORDER BY client_id LIMIT ?')
        .all(page.after ?? '', page.limit) as unknown as RecordRow[];
      return rows.map((row) => parseRecord<ClientRecord>(row) as ClientRecord);
    },

    async update(record: ClientRecord, options?: WriteOptions) {
      return write(
        options,
        () =>
          db
            .statement(
              'UPDATE clients SET version = ?, record = ? WHERE client_id = ? AND version = ?',
            )
            .run(record.version, JSON.stringify(record), record.clientId, record.version - 1)
            .changes,
      );
    },

    async delete(clientId: string, options?: ClientDeletionOptions) {
      const now = clock();
      const version = options?.expectedVersion;
      // One transaction: the version check, the client, everything issued to it and every
      // event, or nothing.
      return db.transaction(() => {
        if (version !== undefined) {
          const row = db
            .statement('SELECT version FROM clients WHERE client_id = ?')
            .get(clientId) as { version: number } | undefined;
          if (row && row.version !== version) return false;
        }
        for (const model of CLIENT_BOUND_MODELS) {
          const eventsFor = options?.eventsFor;
          removeClientModelsIn(
            db,
            model,
            clientId,
            eventsFor ? { eventsFor: (removed) => eventsFor(model, removed) } : undefined,
            now,
          );
        }
        const { changes } = db.statement('DELETE FROM clients WHERE client_id = ?').run(clientId);
        if (Number(changes) !== 1) return false;
        appendOutboxEvents(db, options, now);
        return true;
      });
    },
  };
}

const resourceServerOf = (row: RecordRow | undefined): ResourceServerRecord | undefined => {
  const stored = parseRecord<StoredResourceServerRecord>(row);
  return stored && completeResourceServerRecord(stored);
};

export function createSqliteResourceServerStore(
  db: SqliteDatabase,
  clock: () => number,
): ResourceServerStore {
  const write = (options: WriteOptions | undefined, run: () => number | bigint) =>
    writeRecordWithEvents(db, options, clock, run);
  return {
    async insert(record: ResourceServerRecord, options?: WriteOptions) {
      return write(
        options,
        () =>
          db
            .statement(
              'INSERT INTO resource_servers (id, audience, version, record) VALUES (?, ?, ?, ?)',
            )
            .run(record.id, record.audience, record.version, JSON.stringify(record)).changes,
      );
    },

    async get(id: string) {
      return resourceServerOf(
        db.statement('SELECT record FROM resource_servers WHERE id = ?').get(id) as
          RecordRow | undefined,
      );
    },

    async getByAudience(audience: string) {
      return resourceServerOf(
        db.statement('SELECT record FROM resource_servers WHERE audience = ?').get(audience) as
          RecordRow | undefined,
      );
    },

    async list(page: Page) {
      const rows = db
        .statement('SELECT record FROM resource_servers WHERE id > ? ORDER BY id LIMIT ?')
        .all(page.after ?? '', page.limit) as unknown as RecordRow[];
      return rows.map((row) => resourceServerOf(row) as ResourceServerRecord);
    },

    async update(record: ResourceServerRecord, options?: WriteOptions) {
      // An audience taken by another resource server is a unique violation: false, as a conflict.
      return write(
        options,
        () =>
          db
            .statement(
              'UPDATE resource_servers SET audience = ?, version = ?, record = ? WHERE id = ? AND version = ?',
            )
            .run(
              record.audience,
              record.version,
              JSON.stringify(record),
              record.id,
              record.version - 1,
            ).changes,
      );
    },

    async delete(id: string, options?: DeleteOptions) {
      const version = options?.expectedVersion;
      return write(options, () =>
        version === undefined
          ? db.statement('DELETE FROM resource_servers WHERE id = ?').run(id).changes
          : db
              .statement('DELETE FROM resource_servers WHERE id = ? AND version = ?')
              .run(id, version).changes,
      );
    },
  };
}
