import {
  ACCOUNT_BOUND_MODELS,
  isClientBound,
  type ClientBoundModel,
  type OidcModelName,
  type OidcModelStore,
  type OidcPayload,
  type RemovalOptions,
  type StoredOidcRecord,
} from '../../src/ports/oidc-models.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import { rowKey, type SqliteDatabase } from './database.ts';
import { appendEvents, appendOutboxEvents } from './outbox-store.ts';

interface ModelRow {
  payload: string;
  consumed_at: number | null;
}

const LIVE = '(expires_at IS NULL OR expires_at > ?)';

/**
 * Lookups by a field other than the key name the field's (partial) index: without ANALYZE
 * statistics SQLite's planner prefers scanning the model's whole primary-key range (every
 * session, every refresh token) to a partial index (https://sqlite.org/partialindex.html,
 * section 3; https://sqlite.org/lang_indexedby.html). Measured on 20,000 sessions: a session
 * by uid 231 µs of CPU by the scan, 5 through the index.
 */
const BY_INDEX = {
  uid: 'INDEXED BY oidc_models_uid',
  user_code: 'INDEXED BY oidc_models_user_code',
  account_id: 'INDEXED BY oidc_models_account_id',
  grant_id: 'INDEXED BY oidc_models_grant_id',
  client_id: 'INDEXED BY oidc_models_client_id',
} as const;

function toPayload(row: ModelRow | undefined): OidcPayload | undefined {
  if (!row) return undefined;
  const payload = JSON.parse(row.payload) as OidcPayload;
  return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
}

/** A removal's events, inside its transaction: the given ones, then those built from what went. */
function appendRemovalEvents(
  db: SqliteDatabase,
  options: RemovalOptions | undefined,
  removed: readonly OidcPayload[],
  now: number,
): void {
  appendOutboxEvents(db, options, now);
  if (options?.eventsFor) appendEvents(db, options.eventsFor(removed), now);
}

function lookupField(
  payload: OidcPayload,
  field: 'accountId' | 'clientId' | 'grantId' | 'uid' | 'userCode',
): string | null {
  const value = payload[field];
  return typeof value === 'string' ? value : null;
}

/** Only account-bound models fill account_id: other rows stay out of its partial index. */
const accountIdOf = (model: OidcModelName, payload: OidcPayload): string | null =>
  ACCOUNT_BOUND_MODELS.has(model) ? lookupField(payload, 'accountId') : null;

/** Only client-bound models fill client_id, for the same reason. */
const clientIdOf = (model: OidcModelName, payload: OidcPayload): string | null =>
  isClientBound(model) ? lookupField(payload, 'clientId') : null;

/**
 * Deletes every `model` row of the client, inside the caller's transaction, and appends the events
 * `options` gives and builds from what went. Shared by revokeByClientId and the client store's
 * delete (record-stores.ts), which runs it in the transaction that deletes the client.
 */
export function removeClientModelsIn(
  db: SqliteDatabase,
  model: ClientBoundModel,
  clientId: string,
  options: RemovalOptions | undefined,
  now: number,
): OidcPayload[] {
  const rows = db
    .statement(
      `DELETE FROM oidc_models ${BY_INDEX.client_id}
       WHERE model = ? AND client_id = ? RETURNING payload, consumed_at`,
    )
    .all(model, clientId) as unknown as ModelRow[];
  const removed = rows.map((row) => toPayload(row) as OidcPayload);
  appendRemovalEvents(db, options, removed, now);
  return removed;
}

interface StoredRow extends ModelRow {
  id: string;
  expires_at: number | null;
}

const REWRITE_BATCH = 500;

export function createSqliteOidcModelStore(
  db: SqliteDatabase,
  clock: () => number,
): OidcModelStore {
  /** A rewritten record in its new place, with the expiry and consumption of the old one. */
  const insertReplacement = (model: OidcModelName, record: StoredOidcRecord, old: StoredRow) =>
    db
      .statement(
        `INSERT INTO oidc_models
           (model, id, payload, grant_id, uid, user_code, account_id, client_id, expires_at,
            consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model, id) DO NOTHING`,
      )
      .run(
        model,
        record.id,
        JSON.stringify(record.payload),
        lookupField(record.payload, 'grantId'),
        lookupField(record.payload, 'uid'),
        lookupField(record.payload, 'userCode'),
        accountIdOf(model, record.payload),
        clientIdOf(model, record.payload),
        old.expires_at,
        old.consumed_at,
      );

  const upsertStatement = () =>
    db.statement(
      `INSERT INTO oidc_models
         (model, id, payload, grant_id, uid, user_code, account_id, client_id, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model, id) DO UPDATE SET
         payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
         user_code = excluded.user_code, account_id = excluded.account_id,
         client_id = excluded.client_id, expires_at = excluded.expires_at`,
    );

  const findBy = (column: 'id' | 'uid' | 'user_code', model: OidcModelName, value: string) => {
    const from = column === 'id' ? 'oidc_models' : `oidc_models ${BY_INDEX[column]}`;
    const sql = `SELECT payload, consumed_at FROM ${from} WHERE model = ? AND ${column} = ? AND ${LIVE} LIMIT 1`;
    // By primary key, only a grouped write of that very row must run first (database.ts).
    const statement =
      column === 'id'
        ? db.rowStatement(sql, rowKey('oidc_models', model, value))
        : db.statement(sql);
    return toPayload(statement.get(model, value, clock()) as ModelRow | undefined);
  };

  return {
    async upsert(model, id, payload, expiresInSeconds) {
      const now = clock();
      const expiresAt = expiresInSeconds === undefined ? null : now + expiresInSeconds * 1000;
      const row = [
        model,
        id,
        JSON.stringify(payload),
        lookupField(payload, 'grantId'),
        lookupField(payload, 'uid'),
        lookupField(payload, 'userCode'),
        accountIdOf(model, payload),
        clientIdOf(model, payload),
        expiresAt,
      ] as const;
      // Issued tokens are the hot write: grouped with the turn's others (database.ts).
      await db.groupWrite(
        rowKey('oidc_models', model, id),
        () => void upsertStatement().run(...row),
      );
    },

    async insertIfAbsent(model, id, payload, expiresInSeconds) {
      const now = clock();
      // One statement: the conflict target's row is replaced only while it has expired, so of
      // concurrent inserts (SQLite serialises writers) only the first changes a row.
      const { changes } = db
        .statement(
          `INSERT INTO oidc_models
             (model, id, payload, grant_id, uid, user_code, account_id, client_id, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (model, id) DO UPDATE SET
             payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
             user_code = excluded.user_code, account_id = excluded.account_id,
             client_id = excluded.client_id, expires_at = excluded.expires_at, consumed_at = NULL
           WHERE oidc_models.expires_at IS NOT NULL AND oidc_models.expires_at <= ?`,
        )
        .run(
          model,
          id,
          JSON.stringify(payload),
          lookupField(payload, 'grantId'),
          lookupField(payload, 'uid'),
          lookupField(payload, 'userCode'),
          accountIdOf(model, payload),
          clientIdOf(model, payload),
          now + expiresInSeconds * 1000,
          now,
        );
      return Number(changes) === 1;
    },

    async find(model, id) {
      return findBy('id', model, id);
    },

    async findByUid(model, uid) {
      return findBy('uid', model, uid);
    },

    async findByUserCode(model, userCode) {
      return findBy('user_code', model, userCode);
    },

    async findByAccountId(model, accountId) {
      const rows = db
        .statement(
          `SELECT payload, consumed_at FROM oidc_models ${BY_INDEX.account_id}
           WHERE model = ? AND account_id = ? AND ${LIVE}`,
        )
        .all(model, accountId, clock()) as unknown as ModelRow[];
      return rows.map((row) => toPayload(row) as OidcPayload);
    },

    async findByClientId(model, clientId) {
      const rows = db
        .statement(
          `SELECT payload, consumed_at FROM oidc_models ${BY_INDEX.client_id}
           WHERE model = ? AND client_id = ? AND ${LIVE}`,
        )
        .all(model, clientId, clock()) as unknown as ModelRow[];
      return rows.map((row) => toPayload(row) as OidcPayload);
    },

    async consume(model, id, options?: WriteOptions) {
      const now = clock();
      const consumeRow = () =>
        db
          .statement(
            `UPDATE oidc_models SET consumed_at = ?
             WHERE model = ? AND id = ? AND consumed_at IS NULL AND ${LIVE}`,
          )
          .run(Math.floor(now / 1000), model, id, now).changes === 1;
      // Without events the update is one statement, atomic on its own (the row's
      // `consumed_at IS NULL` decides the one winner): grouped like upserts, so a refresh's
      // consume shares a commit with the turn's other token writes (database.ts).
      if (!options?.events?.length)
        return db.groupWrite(rowKey('oidc_models', model, id), consumeRow);
      return db.transaction(() => {
        if (!consumeRow()) return false;
        appendOutboxEvents(db, options, now);
        return true;
      });
    },

    async destroy(model, id, options?: RemovalOptions) {
      const now = clock();
      return db.transaction(() => {
        const row = db
          .statement(
            `DELETE FROM oidc_models WHERE model = ? AND id = ? RETURNING payload, consumed_at`,
          )
          .get(model, id) as ModelRow | undefined;
        const removed = toPayload(row);
        appendRemovalEvents(db, options, removed ? [removed] : [], now);
        return removed;
      });
    },

    async revokeByGrantId(model, grantId, options?: RemovalOptions) {
      const now = clock();
      return db.transaction(() => {
        const rows = db
          .statement(
            `DELETE FROM oidc_models ${BY_INDEX.grant_id}
             WHERE model = ? AND grant_id = ? RETURNING payload, consumed_at`,
          )
          .all(model, grantId) as unknown as ModelRow[];
        const removed = rows.map((row) => toPayload(row) as OidcPayload);
        appendRemovalEvents(db, options, removed, now);
        return removed;
      });
    },

    async revokeByClientId(model, clientId, options?: RemovalOptions) {
      const now = clock();
      return db.transaction(() => removeClientModelsIn(db, model, clientId, options, now));
    },

    async pruneExpired() {
      const { changes } = db
        .statement('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?')
        .run(clock());
      return Number(changes);
    },

    async rewriteAll(model, rewrite) {
      let replaced = 0;
      let after = '';
      // Batches in id order, each its own short write transaction: other writers are not held
      // up for the whole pass, and a record added meanwhile is offered if it sorts later.
      for (;;) {
        const batch = db.transaction(() => {
          const rows = db
            .statement(
              `SELECT id, payload, expires_at, consumed_at FROM oidc_models
               WHERE model = ? AND id > ? ORDER BY id LIMIT ${REWRITE_BATCH}`,
            )
            .all(model, after) as unknown as StoredRow[];
          for (const row of rows) {
            const replacement = rewrite({
              id: row.id,
              payload: JSON.parse(row.payload) as OidcPayload,
            });
            if (!replacement) continue;
            insertReplacement(model, replacement, row);
            db.statement('DELETE FROM oidc_models WHERE model = ? AND id = ?').run(model, row.id);
            replaced += 1;
          }
          return rows;
        });
        if (batch.length < REWRITE_BATCH) return replaced;
        after = (batch.at(-1) as StoredRow).id;
      }
    },
  };
}
