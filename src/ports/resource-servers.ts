import type { Page } from './clients.ts';
import type { DeleteOptions, WriteOptions } from './write-options.ts';

export type AccessTokenFormat = 'jwt' | 'opaque';

/**
 * A client a resource server allows to introspect the tokens issued for its audience (RFC 7662
 * section 2.1). Bound to the client as it existed when it was named: a client created later
 * under the same id (after this one was deleted) is a different client, and is not entitled.
 */
export interface ResourceServerIntrospector {
  readonly clientId: string;
  /** The named client's `createdAt` (epoch ms): what tells it from a later client with its id. */
  readonly clientCreatedAt: number;
}

/** An API that access tokens are issued for (RFC 8707 resource indicator = `audience`). */
export interface ResourceServerRecord {
  readonly id: string;
  /** Absolute URI without fragment, as clients send it in `resource`. Unique. */
  readonly audience: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly accessTokenFormat: AccessTokenFormat;
  /** Seconds. */
  readonly accessTokenTtl: number;
  /** Besides each token's own client, the clients that may introspect tokens for `audience`. */
  readonly introspectors: readonly ResourceServerIntrospector[];
  /**
   * Tokens for `audience` are issued only to token requests carrying a DPoP proof, and so are all
   * bound to the client's DPoP key (RFC 9449 section 6: `cnf.jkt`).
   */
  readonly requireDpop: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly version: number;
  /** As ClientRecord.configKey: set when `tessera apply` created it, never changed. */
  readonly configKey?: string | undefined;
}

/**
 * A record as an adapter reads it back: one written before introspectors existed has none, one
 * written before `requireDpop` existed has no such field.
 */
export type StoredResourceServerRecord = Omit<
  ResourceServerRecord,
  'introspectors' | 'requireDpop'
> & {
  readonly introspectors?: readonly ResourceServerIntrospector[] | undefined;
  readonly requireDpop?: boolean | undefined;
};

/** The record a stored one stands for; adapters pass every record they read through it. */
export function completeResourceServerRecord(
  stored: StoredResourceServerRecord,
): ResourceServerRecord {
  return {
    ...stored,
    introspectors: stored.introspectors ?? [],
    // Older records required nothing: their tokens stay as they were issued (bearer or DPoP).
    requireDpop: stored.requireDpop ?? false,
  };
}

export interface ResourceServerStore {
  /** Returns false when the id, the audience or the configKey it has is taken. */
  insert(record: ResourceServerRecord, options?: WriteOptions): Promise<boolean>;
  get(id: string): Promise<ResourceServerRecord | undefined>;
  getByAudience(audience: string): Promise<ResourceServerRecord | undefined>;
  list(page: Page): Promise<ResourceServerRecord[]>;
  /** Same optimistic rule as ClientStore.update. */
  update(record: ResourceServerRecord, options?: WriteOptions): Promise<boolean>;
  /** Same conditional rule as ClientStore.delete. */
  delete(id: string, options?: DeleteOptions): Promise<boolean>;
}
