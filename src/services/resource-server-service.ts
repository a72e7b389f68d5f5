import { isDeepStrictEqual } from 'node:util';

import type { EventFactory } from '../events/event-factory.ts';
import type { ClientStore, Page } from '../ports/clients.ts';
import type {
  AccessTokenFormat,
  ResourceServerRecord,
  ResourceServerStore,
} from '../ports/resource-servers.ts';
import { AppError } from './app-error.ts';
import { generateId } from './ids.ts';
import { createIntrospectorRules } from './resource-server-introspectors.ts';

export interface NewResourceServer {
  readonly audience: string;
  readonly name?: string | undefined;
  readonly scopes: readonly string[];
  readonly accessTokenFormat?: AccessTokenFormat | undefined;
  /** Seconds; defaults to the service-wide access token TTL. */
  readonly accessTokenTtl?: number | undefined;
  /** Ids of existing confidential clients that may introspect tokens for this audience. */
  readonly introspectors?: readonly string[] | undefined;
  /** Only DPoP-bound tokens (RFC 9449) for this audience; default false. */
  readonly requireDpop?: boolean | undefined;
  /** ResourceServerRecord.configKey: the key of the clients-as-code entry it is created from. */
  readonly configKey?: string | undefined;
}

export interface ResourceServerUpdate {
  readonly name?: string | undefined;
  readonly scopes?: readonly string[] | undefined;
  readonly accessTokenFormat?: AccessTokenFormat | undefined;
  readonly accessTokenTtl?: number | undefined;
  /** Replaces the list. */
  readonly introspectors?: readonly string[] | undefined;
  readonly requireDpop?: boolean | undefined;
  readonly expectedVersion?: number | undefined;
}

export interface ResourceServerServiceDeps {
  readonly resourceServers: ResourceServerStore;
  /** Where named introspectors are checked; the store itself, not a cache (admin writes). */
  readonly clients: ClientStore;
  readonly newEvent: EventFactory;
  readonly clock: () => number;
  readonly defaultAccessTokenTtl: number;
}

/**
 * The APIs tokens are issued for (RFC 8707 resource indicators). Records it answers for
 * administrators (create, get, list, update) leave out introspectors whose client was deleted
 * since it was named (resource-server-introspectors.ts); `findByAudience`, the token endpoint's
 * read, answers the record as stored.
 */
export interface ResourceServerService {
  create(input: NewResourceServer): Promise<ResourceServerRecord>;
  get(id: string): Promise<ResourceServerRecord>;
  findByAudience(audience: string): Promise<ResourceServerRecord | undefined>;
  list(page: Page): Promise<ResourceServerRecord[]>;
  update(id: string, update: ResourceServerUpdate): Promise<ResourceServerRecord>;
  /** With `expectedVersion`, deletes only that version (AppError `version_mismatch` otherwise). */
  delete(id: string, expectedVersion?: number): Promise<void>;
}

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** The longest access-token TTL a resource server may have (seconds); bounds key retirement. */
export const RESOURCE_SERVER_MAX_TTL = 86_400;

function checkAudience(audience: string): string {
  // RFC 8707 section 2: an absolute URI without a fragment.
  const url = URL.parse(audience);
  if (!url || audience.includes('#')) {
    throw new AppError('validation_failed', 'audience must be an absolute URI without a fragment', {
      field: 'audience',
    });
  }
  return audience;
}

function checkScopes(scopes: readonly string[]): string[] {
  const unique = [...new Set(scopes)];
  const bad = unique.find((scope) => !SCOPE_TOKEN.test(scope));
  if (bad !== undefined || unique.length === 0 || unique.length > 100) {
    throw new AppError(
      'validation_failed',
      'scopes must be 1-100 RFC 6749 scope tokens (no spaces, quotes or backslashes)',
      {
        field: 'scopes',
      },
    );
  }
  return unique;
}

function checkTtl(ttl: number): number {
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > RESOURCE_SERVER_MAX_TTL) {
    throw new AppError(
      'validation_failed',
      `access_token_ttl must be an integer from 1 to ${RESOURCE_SERVER_MAX_TTL} seconds`,
      {
        field: 'access_token_ttl',
      },
    );
  }
  return ttl;
}

export function createResourceServerService(
  deps: ResourceServerServiceDeps,
): ResourceServerService {
  const { resourceServers, newEvent, clock } = deps;
  const introspectors = createIntrospectorRules(deps.clients);

  const summary = (record: ResourceServerRecord) => ({
    id: record.id,
    audience: record.audience,
    scopes: record.scopes,
    access_token_format: record.accessTokenFormat,
    introspectors: record.introspectors.map((introspector) => introspector.clientId),
    require_dpop: record.requireDpop,
  });

  const get = async (id: string) => {
    const record = await resourceServers.get(id);
    if (!record) throw new AppError('not_found', `resource server ${id} does not exist`);
    return introspectors.withoutDeparted(record);
  };

  return {
    async create(input) {
      const now = clock();
      const audience = checkAudience(input.audience);
      const record: ResourceServerRecord = {
        id: generateId('rs'),
        audience,
        name: input.name?.trim() || audience,
        scopes: checkScopes(input.scopes),
        accessTokenFormat: input.accessTokenFormat ?? 'jwt',
        accessTokenTtl: checkTtl(input.accessTokenTtl ?? deps.defaultAccessTokenTtl),
        introspectors: await introspectors.bind(input.introspectors ?? []),
        requireDpop: input.requireDpop ?? false,
        createdAt: now,
        updatedAt: now,
        version: 1,
        ...(input.configKey === undefined ? {} : { configKey: input.configKey }),
      };
      const inserted = await resourceServers.insert(record, {
        events: [
          newEvent({
            type: 'tessera.resource_server.created',
            subject: record.id,
            data: summary(record),
          }),
        ],
      });
      if (!inserted) {
        // The store refuses a taken audience and a taken config_key alike (its insert).
        if (input.configKey !== undefined && !(await resourceServers.getByAudience(audience))) {
          throw new AppError(
            'conflict',
            `a resource server with config_key ${input.configKey} already exists`,
            { field: 'config_key' },
          );
        }
        throw new AppError(
          'conflict',
          `a resource server with audience ${audience} already exists`,
          {
            field: 'audience',
          },
        );
      }
      return record;
    },

    get,
    findByAudience: (audience) => resourceServers.getByAudience(audience),
    list: async (page) =>
      Promise.all(
        (await resourceServers.list(page)).map((record) => introspectors.withoutDeparted(record)),
      ),

    async update(id, update) {
      const current = await get(id);
      if (update.expectedVersion !== undefined && update.expectedVersion !== current.version) {
        throw new AppError(
          'version_mismatch',
          `resource server ${id} is at version ${current.version}, not ${update.expectedVersion}`,
        );
      }
      const changed = {
        name: update.name?.trim() || current.name,
        scopes: update.scopes ? checkScopes(update.scopes) : current.scopes,
        accessTokenFormat: update.accessTokenFormat ?? current.accessTokenFormat,
        accessTokenTtl:
          update.accessTokenTtl === undefined
            ? current.accessTokenTtl
            : checkTtl(update.accessTokenTtl),
        introspectors: update.introspectors
          ? await introspectors.bind(update.introspectors)
          : current.introspectors,
        requireDpop: update.requireDpop ?? current.requireDpop,
      };
      // Nothing changes: no new version, no event, no cache invalidation (an idempotent PATCH).
      const unchanged = (Object.keys(changed) as (keyof typeof changed)[]).every((field) =>
        isDeepStrictEqual(changed[field], current[field]),
      );
      if (unchanged) return current;
      const next: ResourceServerRecord = {
        ...current,
        ...changed,
        updatedAt: clock(),
        version: current.version + 1,
      };
      const saved = await resourceServers.update(next, {
        events: [
          newEvent({ type: 'tessera.resource_server.updated', subject: id, data: summary(next) }),
        ],
      });
      if (!saved)
        throw new AppError(
          'version_mismatch',
          `resource server ${id} was changed by someone else; reload and retry`,
        );
      return next;
    },

    async delete(id, expectedVersion) {
      const deleted = await resourceServers.delete(id, {
        expectedVersion,
        events: [newEvent({ type: 'tessera.resource_server.deleted', subject: id, data: { id } })],
      });
      if (deleted) return;
      // Nothing was deleted: absent (404), or (with expectedVersion) changed meanwhile (412).
      const current = await resourceServers.get(id);
      if (!current) throw new AppError('not_found', `resource server ${id} does not exist`);
      throw new AppError(
        'version_mismatch',
        `resource server ${id} is at version ${current.version}, not ${expectedVersion}; it was not deleted`,
      );
    },
  };
}
