import type { DeleteOptions, WriteOptions } from './write-options.ts';

/** One client secret, stored only as a keyed hash (DESIGN.md section 3). */
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
}

export interface Page {
  /** Return records whose id sorts after this one. */
  readonly after?: string | undefined;
  readonly limit: number;
}

/** Registered OAuth clients, as managed by the admin API. */
export interface ClientStore {
  /** Returns false (and writes nothing) when the client id is taken. */
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
   * Returns false when there was nothing to delete, or (with `expectedVersion`) when the stored
   * client is at another version; then nothing is deleted and no event recorded.
   */
  delete(clientId: string, options?: DeleteOptions): Promise<boolean>;
}
