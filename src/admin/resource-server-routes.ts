import { z } from 'zod';

import type { ResourceServerRecord } from '../ports/resource-servers.ts';
import { MAX_INTROSPECTORS } from '../services/resource-server-introspectors.ts';
import type { ResourceServerService } from '../services/resource-server-service.ts';
import { defineRoute, type AdminRoute } from './admin-route.ts';
import {
  configKeyInput,
  configKeyOutput,
  fetchPage,
  idParams,
  pageOf,
  pageQueryShape,
  timestampSchema,
  toTimestamp,
} from './common-schemas.ts';
import { named } from './named-schema.ts';
import {
  deleteVersion,
  IF_MATCH_DELETE_HEADER,
  IF_MATCH_HEADER,
  requiredVersion,
} from './preconditions.ts';

const TAG = 'resource-servers';

const scopes = z
  .array(z.string().min(1).max(200))
  .min(1)
  .max(100)
  .describe('Scopes this API offers (RFC 6749 scope tokens)');
const format = z
  .enum(['jwt', 'opaque'])
  .describe('jwt: RFC 9068 ES256 JWT; opaque: checked by introspection');
const ttl = z.int().min(1).max(86_400).describe('Access-token lifetime in seconds');
const introspectors = z
  .array(z.string().min(1).max(200))
  .max(MAX_INTROSPECTORS)
  .describe(
    'Ids of confidential clients that may introspect tokens for this audience (RFC 7662), ' +
      'besides the client each token was issued to; each must exist',
  );

const requireDpop = z
  .boolean()
  .describe(
    'Issue tokens for this audience only to token requests with a DPoP proof (RFC 9449), so ' +
      "that every one is bound to the client's key (`cnf.jkt`); others are refused with " +
      'invalid_request',
  );

export const resourceServerSchema = named(
  'ResourceServer',
  z.object({
    id: z.string(),
    audience: z.string().describe('The RFC 8707 resource indicator clients send'),
    name: z.string(),
    scopes: z.array(z.string()),
    access_token_format: format,
    access_token_ttl: z.int(),
    introspectors: z
      .array(z.string())
      .describe(
        'Clients that may introspect tokens for this audience besides their own client; a ' +
          'deleted client drops out, and a client later created with its id is not included',
      ),
    require_dpop: requireDpop,
    created_at: timestampSchema,
    updated_at: timestampSchema,
    version: z.int().min(1),
    config_key: configKeyOutput,
  }),
);

export const resourceServerCreateSchema = named(
  'ResourceServerCreate',
  z
    .object({
      audience: z.string().min(1).max(2000).describe('Absolute URI without fragment; unique'),
      name: z.string().trim().min(1).max(200).optional().describe('Defaults to the audience'),
      scopes,
      access_token_format: format.optional().describe('Default jwt'),
      access_token_ttl: ttl.optional().describe('Default TESSERA_ACCESS_TOKEN_TTL'),
      introspectors: introspectors.optional().describe('Default none'),
      require_dpop: requireDpop.optional().describe('Default false'),
      config_key: configKeyInput.optional(),
    })
    .strict(),
);

const resourceServerPatchSchema = named(
  'ResourceServerPatch',
  z
    .object({
      name: z.string().trim().min(1).max(200).optional(),
      scopes: scopes.optional(),
      access_token_format: format.optional(),
      access_token_ttl: ttl.optional(),
      introspectors: introspectors
        .nullable()
        .optional()
        .describe('Replaces the list; [] or null (RFC 7396) empties it'),
      require_dpop: requireDpop.optional(),
      version: z.int().min(1).optional().describe('An alternative to If-Match'),
    })
    .strict()
    .describe('Given fields replace; the audience never changes (create another server)'),
);

export const resourceServerPageSchema = named(
  'ResourceServerPage',
  pageOf(resourceServerSchema.schema),
);

export function toResourceServerView(record: ResourceServerRecord) {
  return {
    id: record.id,
    audience: record.audience,
    name: record.name,
    scopes: [...record.scopes],
    access_token_format: record.accessTokenFormat,
    access_token_ttl: record.accessTokenTtl,
    introspectors: record.introspectors.map((introspector) => introspector.clientId),
    require_dpop: record.requireDpop,
    created_at: toTimestamp(record.createdAt),
    updated_at: toTimestamp(record.updatedAt),
    version: record.version,
    ...(record.configKey === undefined ? {} : { config_key: record.configKey }),
  };
}

/** The APIs tokens are issued for (RFC 8707 resource indicators). */
export function createResourceServerRoutes(resourceServers: ResourceServerService): AdminRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/resource-servers',
      operationId: 'createResourceServer',
      tag: TAG,
      summary: 'Register an API that tokens are issued for',
      body: resourceServerCreateSchema,
      responses: { 201: { description: 'Created', body: resourceServerSchema, etag: true } },
      problems: ['validation_failed', 'conflict', 'unsupported_media_type', 'payload_too_large'],
      async handle({ body }) {
        const record = await resourceServers.create({
          audience: body.audience,
          name: body.name,
          scopes: body.scopes,
          accessTokenFormat: body.access_token_format,
          accessTokenTtl: body.access_token_ttl,
          introspectors: body.introspectors,
          requireDpop: body.require_dpop,
          configKey: body.config_key,
        });
        return {
          status: 201,
          body: toResourceServerView(record),
          version: record.version,
          target: record.id,
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/resource-servers',
      operationId: 'listResourceServers',
      tag: TAG,
      summary: 'List resource servers, ordered by id',
      query: z.object(pageQueryShape).strict(),
      responses: { 200: { description: 'One page', body: resourceServerPageSchema } },
      problems: ['validation_failed'],
      async handle({ query }) {
        const body = await fetchPage(
          query,
          (p) => resourceServers.list(p),
          (r) => r.id,
          toResourceServerView,
        );
        return { status: 200, body };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/resource-servers/{id}',
      operationId: 'getResourceServer',
      tag: TAG,
      summary: 'Get a resource server',
      params: idParams,
      responses: {
        200: { description: 'The resource server', body: resourceServerSchema, etag: true },
      },
      problems: ['not_found'],
      async handle({ params }) {
        const record = await resourceServers.get(params.id);
        return { status: 200, body: toResourceServerView(record), version: record.version };
      },
    }),

    defineRoute({
      method: 'patch',
      path: '/resource-servers/{id}',
      operationId: 'updateResourceServer',
      tag: TAG,
      summary: 'Change a resource server',
      description: 'Requires If-Match (or `version`); an outdated one is refused with 412.',
      params: idParams,
      body: resourceServerPatchSchema,
      headers: [IF_MATCH_HEADER],
      responses: {
        200: { description: 'The changed resource server', body: resourceServerSchema, etag: true },
      },
      problems: [
        'validation_failed',
        'not_found',
        'version_mismatch',
        'precondition_required',
        'unsupported_media_type',
        'payload_too_large',
      ],
      async handle({ params, body, header }) {
        const record = await resourceServers.update(params.id, {
          name: body.name,
          scopes: body.scopes,
          accessTokenFormat: body.access_token_format,
          accessTokenTtl: body.access_token_ttl,
          introspectors: body.introspectors === null ? [] : body.introspectors,
          requireDpop: body.require_dpop,
          // The service reads the record, checks the version and writes only over the version
          // it read, so `If-Match: *` (undefined) still cannot overwrite a concurrent change.
          expectedVersion: requiredVersion(header('if-match'), body.version),
        });
        return { status: 200, body: toResourceServerView(record), version: record.version };
      },
    }),

    defineRoute({
      method: 'delete',
      path: '/resource-servers/{id}',
      operationId: 'deleteResourceServer',
      tag: TAG,
      summary: 'Delete a resource server',
      description:
        'New tokens for its audience are refused (invalid_target); its opaque tokens are ' +
        'inactive at once, also after a new resource server takes the same audience. JWTs run ' +
        'to expiry (tessera.resource_server.deleted announces the deletion). With If-Match, only ' +
        'the version read is deleted: one changed since is kept and 412 answered.',
      params: idParams,
      headers: [IF_MATCH_DELETE_HEADER],
      responses: { 204: { description: 'Deleted' } },
      problems: ['not_found', 'version_mismatch', 'validation_failed'],
      async handle({ params, header }) {
        await resourceServers.delete(params.id, deleteVersion(header('if-match')));
        return { status: 204 };
      },
    }),
  ];
}
