import type { Page } from './clients.ts';
import type { DeleteOptions, WriteOptions } from './write-options.ts';

export type AccessTokenFormat = 'jwt' | 'opaque';

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
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly version: number;
}

export interface ResourceServerStore {
  /** Returns false when the id or the audience is taken. */
  insert(record: ResourceServerRecord, options?: WriteOptions): Promise<boolean>;
  get(id: string): Promise<ResourceServerRecord | undefined>;
  getByAudience(audience: string): Promise<ResourceServerRecord | undefined>;
  list(page: Page): Promise<ResourceServerRecord[]>;
  /** Same optimistic rule as ClientStore.update. */
  update(record: ResourceServerRecord, options?: WriteOptions): Promise<boolean>;
  /** Same conditional rule as ClientStore.delete. */
  delete(id: string, options?: DeleteOptions): Promise<boolean>;
}
