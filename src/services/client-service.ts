import { isDeepStrictEqual } from 'node:util';

import type { EventFactory, NewEvent } from '../events/event-factory.ts';
import type {
  ClientDeletionOptions,
  ClientMetadata,
  ClientRecord,
  ClientStore,
  Page,
} from '../ports/clients.ts';
import { AppError } from './app-error.ts';
import { checkClientKeys } from './client-key-rules.ts';
import {
  createClientSecretChanges,
  createSecretMaker,
  type CreatedSecret,
} from './client-secret-changes.ts';
import { normaliseClientMetadata, usesClientSecret } from './client-rules.ts';
import { assertSafeDisplayText } from './display-text.ts';
import type { ClientSecretHasher } from './client-secrets.ts';
import {
  createClientTokenRevoker,
  type ClientTokenRevocationDeps,
  type ClientTokensRevoked,
} from './client-token-revocation.ts';
import { checkClientId } from './client-ids.ts';
import { checkClientUris } from './client-uri-rules.ts';
import { generateId } from './ids.ts';
import { checkKnownSecret } from './known-client-secrets.ts';

/** Validates metadata the way oidc-provider does; throws AppError('validation_failed'). */
export type ClientMetadataValidator = (metadata: ClientMetadata) => Promise<void>;

export interface ClientServiceDeps {
  readonly clients: ClientStore;
  readonly hasher: ClientSecretHasher;
  readonly validateMetadata: ClientMetadataValidator;
  /** NODE_ENV=production: client URIs must use https (client-uri-rules.ts). */
  readonly production: boolean;
  readonly newEvent: EventFactory;
  readonly clock: () => number;
  /**
   * Events announcing what a deleted client held (provider/grant-revocation.ts,
   * clientHoldingsEventsFor); the store removes it with the client (ClientStore.delete).
   */
  readonly deletionEventsFor: NonNullable<ClientDeletionOptions['eventsFor']>;
  /**
   * Seconds after a client's deletion during which an access token issued to it may still be
   * valid: the longest access-token TTL Tessera may issue, plus how long another replica may
   * still serve the client from its cache. Sent as `tokens_valid_until` in
   * `tessera.client.deleted`, for resource servers that verify JWTs themselves.
   */
  readonly tokensOutliveDeletionBy: number;
  /** What revokeTokens needs besides the above (client-token-revocation.ts). */
  readonly tokenRevocation: Pick<
    ClientTokenRevocationDeps,
    'models' | 'holdingsEventsFor' | 'longestAccessTokenTtl'
  >;
}

export interface NewClient {
  /**
   * The client id to register under (a client moved from another server keeps its id);
   * generated when absent. Checked by checkClientId (client-ids.ts); a taken id is a conflict.
   */
  readonly clientId?: string | undefined;
  readonly name: string;
  readonly metadata: ClientMetadata;
  /** Epoch ms at which the first secret expires; undefined = never. */
  readonly secretExpiresAt?: number | undefined;
  /**
   * The first secret's value, for a confidential client moved from another server
   * (known-client-secrets.ts); generated when absent. Stored only as its hash, like any.
   */
  readonly knownSecret?: string | undefined;
  /** ClientRecord.configKey: the key of the clients-as-code entry it is created from. */
  readonly configKey?: string | undefined;
}

export interface ClientUpdate {
  readonly name?: string | undefined;
  readonly metadata?: ClientMetadata | undefined;
  /** When given, the update only applies if the stored version still equals it. */
  readonly expectedVersion?: number | undefined;
}

/** Business rules for OAuth clients; the admin API, CLI bootstrap and tests all go through it. */
export interface ClientService {
  create(input: NewClient): Promise<{ client: ClientRecord; secret: CreatedSecret | undefined }>;
  get(clientId: string): Promise<ClientRecord>;
  find(clientId: string): Promise<ClientRecord | undefined>;
  list(page: Page): Promise<ClientRecord[]>;
  update(clientId: string, update: ClientUpdate): Promise<ClientRecord>;
  /** With `expectedVersion`, deletes only that version (AppError `version_mismatch` otherwise). */
  delete(clientId: string, expectedVersion?: number): Promise<void>;
  addSecret(clientId: string, expiresAt?: number): Promise<CreatedSecret>;
  removeSecret(clientId: string, secretId: string): Promise<ClientRecord>;
  /**
   * Revokes every grant and token the client holds and cuts off its JWT access tokens issued
   * until now, keeping the client (client-token-revocation.ts); AppError `not_found` without it.
   */
  revokeTokens(clientId: string): Promise<ClientTokensRevoked>;
  /** Constant-time check of a presented secret against the client's live secrets. */
  verifySecret(client: ClientRecord, presented: string): boolean;
}

const MAX_NAME_LENGTH = 200;

export function createClientService(deps: ClientServiceDeps): ClientService {
  const { clients, hasher, newEvent, clock } = deps;

  const secrets = createSecretMaker(hasher, clock);

  const checkName = (name: string) => {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > MAX_NAME_LENGTH) {
      throw new AppError('validation_failed', `name must be 1-${MAX_NAME_LENGTH} characters`, {
        field: 'name',
      });
    }
    assertSafeDisplayText(trimmed, 'name');
    return trimmed;
  };

  /** Tessera's own rules, then oidc-provider's schema, on the metadata a client would have. */
  const validate = async (metadata: ClientMetadata) => {
    checkClientKeys(metadata);
    checkClientUris(metadata, { production: deps.production });
    await deps.validateMetadata(metadata);
  };

  const get = async (clientId: string) => {
    const client = await clients.get(clientId);
    if (!client) throw new AppError('not_found', `client ${clientId} does not exist`);
    return client;
  };

  // normaliseClientMetadata (client-rules.ts) always sets both fields.
  const clientSummary = (client: ClientRecord) => ({
    client_id: client.clientId,
    name: client.name,
    grant_types: client.metadata.grant_types as readonly string[],
    token_endpoint_auth_method: client.metadata.token_endpoint_auth_method as string,
    version: client.version,
  });

  const saveUpdated = async (next: ClientRecord, event: NewEvent) => {
    const saved = await clients.update(next, { events: [newEvent(event)] });
    if (!saved) {
      throw new AppError(
        'version_mismatch',
        `client ${next.clientId} was changed by someone else; reload and retry`,
      );
    }
    return next;
  };

  return {
    async create(input) {
      const name = checkName(input.name);
      const metadata = normaliseClientMetadata(input.metadata);
      await validate(metadata);
      secrets.checkExpiry(input.secretExpiresAt);
      if (input.knownSecret !== undefined) checkKnownSecret(input.knownSecret, metadata);
      const [secretRecord, created] = usesClientSecret(metadata)
        ? secrets.newSecret(input.secretExpiresAt, input.knownSecret)
        : [undefined, undefined];
      const clientId =
        input.clientId === undefined ? generateId('cl') : checkClientId(input.clientId);
      const now = clock();
      const client: ClientRecord = {
        clientId,
        name,
        metadata,
        secrets: secretRecord ? [secretRecord] : [],
        createdAt: now,
        updatedAt: now,
        version: 1,
        ...(input.configKey === undefined ? {} : { configKey: input.configKey }),
      };
      const inserted = await clients.insert(client, {
        events: [
          newEvent({
            type: 'tessera.client.created',
            subject: client.clientId,
            data: clientSummary(client),
          }),
        ],
      });
      if (!inserted) {
        // The store refuses a taken client id and a taken config_key alike (ClientStore.insert).
        if (input.configKey !== undefined && !(await clients.get(clientId))) {
          throw new AppError(
            'conflict',
            `a client with config_key ${input.configKey} already exists`,
            { field: 'config_key' },
          );
        }
        throw new AppError(
          'conflict',
          input.clientId === undefined
            ? 'client id collision; retry'
            : `client ${clientId} already exists`,
          { field: 'client_id' },
        );
      }
      return { client, secret: created };
    },

    get,
    find: (clientId) => clients.get(clientId),
    list: (page) => clients.list(page),

    async update(clientId, update) {
      const current = await get(clientId);
      if (update.expectedVersion !== undefined && update.expectedVersion !== current.version) {
        throw new AppError(
          'version_mismatch',
          `client ${clientId} is at version ${current.version}, not ${update.expectedVersion}`,
        );
      }
      const metadata = update.metadata
        ? normaliseClientMetadata(update.metadata)
        : current.metadata;
      if (update.metadata) await validate(metadata);
      if (usesClientSecret(metadata) !== usesClientSecret(current.metadata)) {
        throw new AppError(
          'validation_failed',
          'a client cannot switch between secret and non-secret authentication; create a new client',
          {
            field: 'token_endpoint_auth_method',
          },
        );
      }
      const name = update.name === undefined ? current.name : checkName(update.name);
      // Nothing changes: no new version, no event, no cache invalidation (an idempotent PATCH).
      if (name === current.name && isDeepStrictEqual(metadata, current.metadata)) return current;
      const next: ClientRecord = {
        ...current,
        name,
        metadata,
        updatedAt: clock(),
        version: current.version + 1,
      };
      return saveUpdated(next, {
        type: 'tessera.client.updated',
        subject: clientId,
        data: clientSummary(next),
      });
    },

    async delete(clientId, expectedVersion) {
      // The store takes everything issued to the client with it, announcing each revocation
      // (ClientStore.delete). A deletion cut short by a failure leaves the client in place, so
      // repeating the request completes it; one repeated after success answers not_found, and
      // still sweeps what a replica serving the client from its cache issued meanwhile.
      const deleted = await clients.delete(clientId, {
        expectedVersion,
        events: [
          newEvent({
            type: 'tessera.client.deleted',
            subject: clientId,
            data: {
              client_id: clientId,
              tokens_valid_until: Math.ceil(clock() / 1000) + deps.tokensOutliveDeletionBy,
            },
          }),
        ],
        eventsFor: deps.deletionEventsFor,
      });
      if (deleted) return;
      const current = await clients.get(clientId);
      if (!current) throw new AppError('not_found', `client ${clientId} does not exist`);
      throw new AppError(
        'version_mismatch',
        `client ${clientId} is at version ${current.version}, not ${expectedVersion}; it was not deleted`,
      );
    },

    ...createClientSecretChanges({ secrets, clock, get, saveUpdated }),

    revokeTokens: createClientTokenRevoker({ clients, newEvent, clock, ...deps.tokenRevocation }),

    verifySecret(client, presented) {
      return hasher.matches(presented, client.secrets, clock());
    },
  };
}
