/**
 * Schema steps, applied in order; `PRAGMA user_version` records how many ran. Never edit a
 * released step: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE oidc_models (
    model       TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    grant_id    TEXT,
    uid         TEXT,
    user_code   TEXT,
    expires_at  INTEGER,
    consumed_at INTEGER,
    PRIMARY KEY (model, id)
  ) WITHOUT ROWID;
  CREATE INDEX oidc_models_grant_id ON oidc_models (model, grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    version   INTEGER NOT NULL,
    record    TEXT    NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE resource_servers (
    id       TEXT PRIMARY KEY,
    audience TEXT NOT NULL UNIQUE,
    version  INTEGER NOT NULL,
    record   TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE signing_keys (
    kid    TEXT PRIMARY KEY,
    state  TEXT NOT NULL,
    record TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE outbox (
    sequence     INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    type         TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER
  );
  CREATE INDEX outbox_pending ON outbox (sequence) WHERE published_at IS NULL;
  CREATE INDEX outbox_type ON outbox (type, sequence);
  `,
  `
  CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    username_key TEXT    NOT NULL UNIQUE,
    search_text  TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    record       TEXT    NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    count        INTEGER NOT NULL,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    retain_until INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX login_throttle_retain_until ON login_throttle (retain_until);
  `,
  `
  -- The relay prunes published events by their age (OutboxStore.prune).
  CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
  `,
  `
  -- Grants and sessions by account (OidcModelStore.findByAccountId), filled in for the records
  -- written before the column existed.
  ALTER TABLE oidc_models ADD COLUMN account_id TEXT;
  UPDATE oidc_models SET account_id = json_extract(payload, '$.accountId')
    WHERE model IN ('Grant', 'Session') AND json_type(payload, '$.accountId') = 'text';
  CREATE INDEX oidc_models_account_id ON oidc_models (model, account_id)
    WHERE account_id IS NOT NULL;
  `,
  `
  -- CatalogGenerationStore: one row, moved by every client and resource-server write in the
  -- writing statement's own transaction, whoever writes (another process on this file included).
  CREATE TABLE catalog_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
  );
  INSERT INTO catalog_generation (id, value) VALUES (1, 0);
  CREATE TRIGGER clients_inserted AFTER INSERT ON clients
    BEGIN UPDATE catalog_generation SET value = value + 1 WHERE id = 1; END;
  CREATE TRIGGER clients_updated AFTER UPDATE ON clients
    BEGIN UPDATE catalog_generation SET value = value + 1 WHERE id = 1; END;
  CREATE TRIGGER clients_deleted AFTER DELETE ON clients
    BEGIN UPDATE catalog_generation SET value = value + 1 WHERE id = 1; END;
  CREATE TRIGGER resource_servers_inserted AFTER INSERT ON resource_servers
    BEGIN UPDATE catalog_generation SET value = value + 1 WHERE id = 1; END;
  CREATE TRIGGER resource_servers_updated AFTER UPDATE ON resource_servers
    BEGIN UPDATE catalog_generation SET value = value + 1 WHERE id = 1; END;
  CREATE TRIGGER resource_servers_deleted AFTER DELETE ON resource_servers
    BEGIN UPDATE catalog_generation SET value = value + 1 WHERE id = 1; END;
  `,
  `
  -- DataMigrationStore: the one-time data migrations that have run (src/storage/data-migrations.ts).
  CREATE TABLE data_migrations (
    name         TEXT    PRIMARY KEY,
    completed_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- What a client holds, by client (OidcModelStore.findByClientId, revokeByClientId; a client's
  -- deletion removes it), filled in for the records written before the column existed. Only the
  -- client-bound models (CLIENT_BOUND_MODELS) fill it: other rows stay out of the partial index.
  ALTER TABLE oidc_models ADD COLUMN client_id TEXT;
  UPDATE oidc_models SET client_id = json_extract(payload, '$.clientId')
    WHERE model IN ('AccessToken', 'ClientCredentials', 'RefreshToken', 'AuthorizationCode',
                    'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode', 'Grant')
      AND json_type(payload, '$.clientId') = 'text';
  CREATE INDEX oidc_models_client_id ON oidc_models (model, client_id)
    WHERE client_id IS NOT NULL;
  `,
  `
  -- Username skeletons (src/services/usernames/username-skeleton.ts), unique so that two
  -- confusable usernames cannot both be stored. SQL cannot compute a skeleton: accounts stored
  -- before are NULL (which the unique index allows any number of) until Tessera's username re-key
  -- (src/services/usernames/username-rekey.ts) fills them in, at startup or in \`tessera migrate\`.
  ALTER TABLE accounts ADD COLUMN username_skeleton TEXT;
  CREATE UNIQUE INDEX accounts_username_skeleton ON accounts (username_skeleton);
  `,
  `
  -- RevokedJwtStore: the jti of each JWT access token revoked on its own that no other record
  -- names (client credentials), kept until the token's exp (epoch ms, as every expiry here).
  CREATE TABLE revoked_jwts (
    jti        TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX revoked_jwts_expires_at ON revoked_jwts (expires_at);
  `,
  `
  -- AccountFactorStore: second factors and passkeys, one row each, keyed by an id unique across
  -- accounts (a passkey's credential id), with the counter recordUse compares and sets.
  CREATE TABLE account_factors (
    id         TEXT    PRIMARY KEY,
    account_id TEXT    NOT NULL,
    counter    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    record     TEXT    NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX account_factors_account_id ON account_factors (account_id, created_at, id);
  `,
  `
  -- config_key (set by \`tessera apply\` on what it creates) names at most one client and one
  -- resource server, so two applies racing cannot both create an entry. Keys recorded twice
  -- before this step stay on the oldest holder; the later ones are detached (kept, no longer
  -- managed by apply, shown by \`tessera plan\` as unmanaged) and their version moves.
  UPDATE clients
    SET record = json_set(json_remove(record, '$.configKey'), '$.version', version + 1),
        version = version + 1
    WHERE json_extract(record, '$.configKey') IS NOT NULL
      AND EXISTS (
        SELECT 1 FROM clients AS older
        WHERE json_extract(older.record, '$.configKey') = json_extract(clients.record, '$.configKey')
          AND (json_extract(older.record, '$.createdAt') < json_extract(clients.record, '$.createdAt')
            OR (json_extract(older.record, '$.createdAt') = json_extract(clients.record, '$.createdAt')
              AND older.client_id < clients.client_id)));
  CREATE UNIQUE INDEX clients_config_key ON clients (json_extract(record, '$.configKey'))
    WHERE json_extract(record, '$.configKey') IS NOT NULL;
  UPDATE resource_servers
    SET record = json_set(json_remove(record, '$.configKey'), '$.version', version + 1),
        version = version + 1
    WHERE json_extract(record, '$.configKey') IS NOT NULL
      AND EXISTS (
        SELECT 1 FROM resource_servers AS older
        WHERE json_extract(older.record, '$.configKey') =
                json_extract(resource_servers.record, '$.configKey')
          AND (json_extract(older.record, '$.createdAt') <
                 json_extract(resource_servers.record, '$.createdAt')
            OR (json_extract(older.record, '$.createdAt') =
                  json_extract(resource_servers.record, '$.createdAt')
              AND older.id < resource_servers.id)));
  CREATE UNIQUE INDEX resource_servers_config_key
    ON resource_servers (json_extract(record, '$.configKey'))
    WHERE json_extract(record, '$.configKey') IS NOT NULL;
  `,
];
