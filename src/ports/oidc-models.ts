import type { OutboxEvent } from './outbox.ts';
import type { WriteOptions } from './write-options.ts';

/**
 * What oidc-provider stores for one model instance; the fields are documented in oidc-provider's
 * example/my_adapter.js. Stores keep it opaque apart from the lookup fields below.
 */
export type OidcPayload = Record<string, unknown> & {
  readonly grantId?: string;
  readonly uid?: string;
  readonly userCode?: string;
  /** Epoch seconds at which the instance was consumed (set by `consume`). */
  readonly consumed?: number;
};

/** Every oidc-provider model name that can reach the adapter (Client is served separately). */
export type OidcModelName =
  | 'Session'
  | 'AccessToken'
  | 'AuthorizationCode'
  | 'RefreshToken'
  | 'DeviceCode'
  | 'ClientCredentials'
  | 'InitialAccessToken'
  | 'RegistrationAccessToken'
  | 'Interaction'
  | 'ReplayDetection'
  | 'PushedAuthorizationRequest'
  | 'Grant'
  | 'BackchannelAuthenticationRequest'
  | 'PreAuthorizedCode';

/**
 * Models that stores can find by the account they belong to (their payload's `accountId`):
 * every token of an account hangs off one of its Grants (oidc-provider lib/helpers/revoke.js),
 * and its browser sign-ins are Sessions. Other models carry no such lookup field, so their
 * writes pay for no extra index.
 */
export type AccountBoundModel = 'Grant' | 'Session';

export const ACCOUNT_BOUND_MODELS: ReadonlySet<OidcModelName> = new Set<AccountBoundModel>([
  'Grant',
  'Session',
]);

/**
 * Models whose payload names the client it was issued to (`clientId`, oidc-provider's BaseToken
 * and Grant, lib/models/base_token.js, lib/models/grant.js), which stores find and remove by it:
 * what a client holds when it is deleted. Grant comes last, as in oidc-provider's
 * lib/helpers/revoke.js: tokens first, then what they hang off. Interactions name their client only
 * inside `params` and last an hour; Sessions name clients as keys of `authorizations` (see
 * src/provider/orphan-filter.ts).
 */
export const CLIENT_BOUND_MODELS = [
  'AccessToken',
  'ClientCredentials',
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
  'Grant',
] as const satisfies readonly OidcModelName[];

export type ClientBoundModel = (typeof CLIENT_BOUND_MODELS)[number];

const CLIENT_BOUND: ReadonlySet<OidcModelName> = new Set(CLIENT_BOUND_MODELS);

export const isClientBound = (model: OidcModelName): model is ClientBoundModel =>
  CLIENT_BOUND.has(model);

/** WriteOptions for removals, whose events may depend on what the removal finds. */
export interface RemovalOptions extends WriteOptions {
  /**
   * Builds events from the payloads the removal takes away; they are appended by the same write
   * as the removal, after `events`. Called with an empty list when nothing matched. On a store
   * without transactions it is called with what was found just before removing (see
   * adapters/mongodb/settled-writes.ts), and its events are taken back if nothing went.
   */
  readonly eventsFor?: (removed: readonly OidcPayload[]) => readonly OutboxEvent[];
}

/**
 * Storage for oidc-provider's models. Reads treat an expired record as absent whether or not the
 * store has deleted it yet: TTL deletion is housekeeping, not correctness
 * (docs/architecture.md#the-store-ports).
 */
export interface OidcModelStore {
  upsert(
    model: OidcModelName,
    id: string,
    payload: OidcPayload,
    expiresInSeconds: number | undefined,
  ): Promise<void>;
  /**
   * Stores the record only when no live one is stored under `id` (an expired one is replaced),
   * in one atomic operation. Returns true only to the caller whose record was stored: of several
   * concurrent inserts of one id, on one replica or many, exactly one wins. What replay detection
   * (a `jti` seen once) needs; `upsert` would let each of them overwrite the other.
   */
  insertIfAbsent(
    model: OidcModelName,
    id: string,
    payload: OidcPayload,
    expiresInSeconds: number,
  ): Promise<boolean>;
  find(model: OidcModelName, id: string): Promise<OidcPayload | undefined>;
  findByUid(model: OidcModelName, uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(model: OidcModelName, userCode: string): Promise<OidcPayload | undefined>;
  /**
   * Every live instance of `model` whose payload names this `accountId`, through an index (one
   * query): what an account holds when it must lose it (disabled, password reset).
   */
  findByAccountId(model: AccountBoundModel, accountId: string): Promise<OidcPayload[]>;
  /**
   * Every live instance of `model` whose payload names this `clientId`, through an index (one
   * query): what a client holds.
   */
  findByClientId(model: ClientBoundModel, clientId: string): Promise<OidcPayload[]>;
  /**
   * Marks the instance consumed in one atomic operation. Returns true only to the caller that
   * consumed it; false when it was already consumed, expired or absent, so two concurrent
   * redemptions of one code or refresh token cannot both succeed.
   */
  consume(model: OidcModelName, id: string, options?: WriteOptions): Promise<boolean>;
  /** Removes the instance and returns what was stored (undefined if nothing was). */
  destroy(
    model: OidcModelName,
    id: string,
    options?: RemovalOptions,
  ): Promise<OidcPayload | undefined>;
  /** Removes every instance of `model` that belongs to the grant; returns their payloads. */
  revokeByGrantId(
    model: OidcModelName,
    grantId: string,
    options?: RemovalOptions,
  ): Promise<OidcPayload[]>;
  /**
   * Removes every instance of `model` issued to the client, expired ones included, through the
   * same index; returns their payloads. What a deleted client held (ClientStore.delete).
   */
  revokeByClientId(
    model: ClientBoundModel,
    clientId: string,
    options?: RemovalOptions,
  ): Promise<OidcPayload[]>;
  /** Deletes expired records; returns how many went. Housekeeping only. */
  pruneExpired(): Promise<number>;
  /**
   * Offers every stored record of `model`, expired or not, to `rewrite` as it is stored (no
   * `consumed` added); where it returns a replacement, that is stored under its id in place of
   * the record, keeping the record's expiry and consumption. A replacement whose id is already
   * stored leaves that one as it is. Returns how many records were replaced. For one-time data
   * migrations (src/storage/data-migrations.ts); not for serving requests.
   */
  rewriteAll(
    model: OidcModelName,
    rewrite: (record: StoredOidcRecord) => StoredOidcRecord | undefined,
  ): Promise<number>;
}

/** One record as an OidcModelStore keeps it. */
export interface StoredOidcRecord {
  readonly id: string;
  readonly payload: OidcPayload;
}
