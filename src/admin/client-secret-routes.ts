import type { ClientService } from '../services/client-service.ts';
import { defineRoute, type AdminRoute } from './admin-route.ts';
import {
  clientIdParams,
  createdSecretSchema,
  secretCreateSchema,
  secretListSchema,
  secretParams,
} from './client-schemas.ts';
import { toSecretInfo } from './client-view.ts';

const TAG = 'clients';

/**
 * A client's secrets (docs/decisions/0007-client-secrets-hmac-under-a-pepper.md): several may be
 * live at once so they rotate without downtime. Values are returned once, when added; listing
 * shows ids and times only.
 */
export function createClientSecretRoutes(clients: ClientService): AdminRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/clients/{client_id}/secrets',
      operationId: 'listClientSecrets',
      tag: TAG,
      summary: "List a client's secrets (ids, creation and expiry; never values)",
      params: clientIdParams,
      responses: { 200: { description: 'The secrets', body: secretListSchema } },
      problems: ['not_found'],
      async handle({ params }) {
        const client = await clients.get(params.client_id);
        return { status: 200, body: { items: client.secrets.map(toSecretInfo) } };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/clients/{client_id}/secrets',
      operationId: 'addClientSecret',
      tag: TAG,
      summary: 'Add a secret to a confidential client',
      description: 'The response holds the secret value, this once. Existing secrets keep working.',
      params: clientIdParams,
      body: secretCreateSchema,
      responses: { 201: { description: 'The new secret', body: createdSecretSchema } },
      problems: ['validation_failed', 'not_found', 'unsupported_media_type', 'payload_too_large'],
      async handle({ params, body }) {
        const created = await clients.addSecret(
          params.client_id,
          body.expires_at === undefined ? undefined : Date.parse(body.expires_at),
        );
        return {
          status: 201,
          body: { ...toSecretInfo(created), secret: created.secret },
          target: `${params.client_id}/${created.id}`,
        };
      },
    }),

    defineRoute({
      method: 'delete',
      path: '/clients/{client_id}/secrets/{secret_id}',
      operationId: 'removeClientSecret',
      tag: TAG,
      summary: 'Remove a secret',
      description: "Refused (409) for the client's last live secret: add another first.",
      params: secretParams,
      responses: { 204: { description: 'Removed' } },
      problems: ['not_found', 'conflict'],
      async handle({ params }) {
        await clients.removeSecret(params.client_id, params.secret_id);
        return { status: 204 };
      },
    }),
  ];
}
