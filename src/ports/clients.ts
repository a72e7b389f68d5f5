import type { ClientBoundModel, OidcPayload } from './oidc-models.ts';
import type { OutboxEvent } from './outbox.ts';
import type { DeleteOptions, WriteOptions } from './write-options.ts';

/**
 * One client secret, stored only as a keyed hash
 * (docs/decisions/0007-client-secrets-hmac-under-a-pepper.md).
 */
export interface ClientSecretRecord {
  readonly id: string;
  /** base64url HMAC-SHA-256(pepper, secret). */
  readonly hash: string;
  readonly createdAt: number;
  /** Epoch ms after which the secret no longer authenticates; undefined = never expires. */
  readonly expiresAt: number | undefined;
}

/**
 * oidc-provider client metadata (snake_case, as registered), without `client_id` and
 * `client_secret`, which Tessera manages itself.
 */
export type ClientMetadata = Readonly<Record<string, unknown>>;

export interface ClientRecord {
  readonly clientId: string;
  readonly name: string;
  readonly metadata: ClientMetadata;
  readonly secrets: readonly ClientSecretRecord[];
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Incremented by every update; optimistic concurrency for admins editing one client. */
  readonly version: number;
  /**
   * Epoch seconds at which an administrator last revoked every token of the client
   * (ClientService.revokeTokens): a token issued to it at or before this second (`iat` ≤ it) is
   * refused. Absent until that happens.
   */
  readonly tokensRevokedAt?: number | undefined;
  /**
   * The client's key in the clients-as-code file `tessera apply` created it from
   * (docs/clients-as-code.md); absent for a client made otherwise. Never changes. Unique: at
   * most one client holds a key (ClientStore.insert).
   */
  readonly configKey?: string | undefined;
}

export interface Page {
  /** Return records whose id sorts after this one. */
  readonly after?: string | undefined;
  readonly limit: number;
}

/** ClientStore.delete's options: `events` announce the deletion itself. */
export interface ClientDeletionOptions extends DeleteOptions {
  /**
   * Builds events from what the deletion took with it, one model at a time: the instances of a
   * client-bound oidc-provider model issued to the client (OidcModelStore.revokeByClientId).
   * Called with an empty list when nothing of `model` was there.
   */
  readonly eventsFor?: (
    model: ClientBoundModel,
    removed: readonly OidcPayload[],
  ) => readonly OutboxEvent[];
}

/** Registered OAuth clients, as managed by the admin API. */
export interface ClientStore {
  /** Returns false (and writes nothing) when the client id, or the configKey it has, is taken. */
  insert(record: ClientRecord, options?: WriteOptions): Promise<boolean>;
  get(clientId: string): Promise<ClientRecord | undefined>;
  /** Ordered by client id. */
  list(page: Page): Promise<ClientRecord[]>;
  /**
   * Replaces the record if its stored version is `record.version - 1`; returns false otherwise
   * (absent or changed by someone else) and writes nothing.
   */
  update(record: ClientRecord, options?: WriteOptions): Promise<boolean>;
  /**
   * Deletes the client and, like a foreign key's ON DELETE CASCADE, every instance of
   * CLIENT_BOUND_MODELS issued to it (its grants, tokens and codes), recording `events` (only if
   * the record was there) and those `eventsFor` builds (for what went).
   *
   * Where the store has transactions spanning both (SQLite), it is one transaction. Otherwise
   * (MongoDB) each model's removal is one write with its events, recorded by the outbox's settle
   * rule (adapters/mongodb/write-with-events.ts), and the record goes last, so a deletion cut
   * short leaves the client in place and running it again completes it. The holdings are swept
   * again after the record went (what a replica still serving the client from its cache issued
   * meanwhile), and also when the record is already gone (the rest of an earlier deletion).
   * Returns false when there was no client record, or (with `expectedVersion`) when the stored
   * client is at another version: then the record stays and no event about it is recorded (on
   * MongoDB, what a concurrent change raced past the version check may already have been swept).
   */
  delete(clientId: string, options?: ClientDeletionOptions): Promise<boolean>;
}
