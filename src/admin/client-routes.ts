import type { ClientMetadata } from '../ports/clients.ts';
import type { ClientService } from '../services/client-service.ts';
import { defineRoute, type AdminRoute } from './admin-route.ts';
import {
  clientCreateSchema,
  clientIdParams,
  clientListQuery,
  clientPageSchema,
  clientPatchSchema,
  clientSchema,
  clientTokensRevokedSchema,
  createdClientSchema,
} from './client-schemas.ts';
import { toClientView, toTokensRevokedView } from './client-view.ts';
import { fetchPage } from './common-schemas.ts';
import {
  deleteVersion,
  IF_MATCH_DELETE_HEADER,
  IF_MATCH_HEADER,
  requiredVersion,
} from './preconditions.ts';

const TAG = 'clients';

/**
 * Applies a JSON merge patch (RFC 7396) to stored metadata. When grant_types change and
 * response_types are not given, the latter are dropped so ClientService derives them afresh.
 */
function mergeMetadata(current: ClientMetadata, patch: Record<string, unknown>): ClientMetadata {
  const next: Record<string, unknown> = { ...current };
  if ('grant_types' in patch && !('response_types' in patch)) delete next.response_types;
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  return next;
}

export function createClientRoutes(clients: ClientService): AdminRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/clients',
      operationId: 'createClient',
      tag: TAG,
      summary: 'Register a client',
      description:
        'Confidential clients get a first secret, returned once in `client_secret`; public clients (`token_endpoint_auth_method: none`) get none. ' +
        'A `client_id` may be given (a client moved from another server keeps its id); an id already taken is refused with 409. ' +
        'A confidential client moved from another server may keep its secret too (`client_secret`): it is stored hashed and not returned.',
      body: clientCreateSchema,
      responses: { 201: { description: 'Created', body: createdClientSchema, etag: true } },
      problems: ['validation_failed', 'conflict', 'unsupported_media_type', 'payload_too_large'],
      async handle({ body }) {
        const {
          client_id: clientId,
          name,
          secret_expires_at: secretExpiresAt,
          client_secret: knownSecret,
          config_key: configKey,
          ...metadata
        } = body;
        const { client, secret } = await clients.create({
          clientId,
          name,
          metadata,
          knownSecret,
          configKey,
          secretExpiresAt: secretExpiresAt === undefined ? undefined : Date.parse(secretExpiresAt),
        });
        return {
          status: 201,
          body: {
            ...toClientView(client),
            // A known secret is the caller's own: never echoed back.
            ...(secret && knownSecret === undefined ? { client_secret: secret.secret } : {}),
          },
          version: client.version,
          target: client.clientId,
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/clients',
      operationId: 'listClients',
      tag: TAG,
      summary: 'List clients, ordered by id',
      query: clientListQuery,
      responses: { 200: { description: 'One page of clients', body: clientPageSchema } },
      problems: ['validation_failed'],
      async handle({ query }) {
        const body = await fetchPage(
          query,
          (p) => clients.list(p),
          (c) => c.clientId,
          toClientView,
        );
        return { status: 200, body };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/clients/{client_id}',
      operationId: 'getClient',
      tag: TAG,
      summary: 'Get a client',
      params: clientIdParams,
      responses: { 200: { description: 'The client', body: clientSchema, etag: true } },
      problems: ['not_found'],
      async handle({ params }) {
        const client = await clients.get(params.client_id);
        return { status: 200, body: toClientView(client), version: client.version };
      },
    }),

    defineRoute({
      method: 'patch',
      path: '/clients/{client_id}',
      operationId: 'updateClient',
      tag: TAG,
      summary: 'Change a client',
      description:
        'Requires If-Match (or `version`): a change based on an outdated read is refused with 412 instead of silently overwriting someone else’s.',
      params: clientIdParams,
      body: clientPatchSchema,
      headers: [IF_MATCH_HEADER],
      responses: { 200: { description: 'The changed client', body: clientSchema, etag: true } },
      problems: [
        'validation_failed',
        'not_found',
        'version_mismatch',
        'precondition_required',
        'unsupported_media_type',
        'payload_too_large',
      ],
      async handle({ params, body, header }) {
        const { name, version, ...patch } = body;
        const expected = requiredVersion(header('if-match'), version);
        const current = await clients.get(params.client_id);
        const changesMetadata = Object.values(patch).some((value) => value !== undefined);
        const updated = await clients.update(params.client_id, {
          name,
          metadata: changesMetadata ? mergeMetadata(current.metadata, patch) : undefined,
          // With `If-Match: *` the merge still applies only to the version it was based on.
          expectedVersion: expected ?? current.version,
        });
        return { status: 200, body: toClientView(updated), version: updated.version };
      },
    }),

    defineRoute({
      method: 'delete',
      path: '/clients/{client_id}',
      operationId: 'deleteClient',
      tag: TAG,
      summary: 'Delete a client',
      description:
        'The client can no longer authenticate, and everything it holds is revoked with it: ' +
        'grants, refresh tokens, opaque access tokens (introspection answers active false) and ' +
        'codes, each announced (tessera.token.revoked, tessera.grant.revoked, reason ' +
        'client_deleted), then tessera.client.deleted with tokens_valid_until for its JWTs. ' +
        'After a failure (5xx), repeat the request: it completes the deletion. With If-Match, ' +
        'only the version read is deleted: a client changed since is kept and 412 answered.',
      params: clientIdParams,
      headers: [IF_MATCH_DELETE_HEADER],
      responses: { 204: { description: 'Deleted' } },
      problems: ['not_found', 'version_mismatch', 'validation_failed'],
      async handle({ params, header }) {
        await clients.delete(params.client_id, deleteVersion(header('if-match')));
        return { status: 204 };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/clients/{client_id}/revoke-tokens',
      operationId: 'revokeClientTokens',
      tag: TAG,
      summary: 'Revoke every token the client holds, keeping the client',
      description:
        'For a leaked secret (docs/operations.md "Leaked client secret"): every grant, refresh token, ' +
        'opaque access token and code of the client is revoked, each announced ' +
        '(tessera.token.revoked, tessera.grant.revoked, reason client_tokens_revoked), and its ' +
        'JWT access tokens issued until now are refused by introspection and, through ' +
        'tessera.client.tokens_revoked (issued_before, tokens_valid_until), by resource servers ' +
        'that follow the events. Tokens issued after the revocation are not affected: remove ' +
        'the leaked secret first. After a failure (5xx), repeat the request: it completes the ' +
        'revocation.',
      params: clientIdParams,
      responses: {
        200: { description: 'What was revoked', body: clientTokensRevokedSchema },
      },
      problems: ['not_found', 'conflict', 'validation_failed'],
      async handle({ params }) {
        const revoked = await clients.revokeTokens(params.client_id);
        return { status: 200, body: toTokensRevokedView(revoked) };
      },
    }),
  ];
}
