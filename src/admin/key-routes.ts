import { z } from 'zod';

import type { SigningKeyAdmin, SigningKeyView } from '../services/signing-key-admin.ts';
import { defineRoute, type AdminRoute } from './admin-route.ts';
import { optionalTimestamp, timestampSchema, toTimestamp } from './common-schemas.ts';
import { named } from './named-schema.ts';

const TAG = 'keys';

const keySchema = z.object({
  kid: z.string(),
  alg: z.enum(['RS256', 'ES256']),
  state: z
    .enum(['next', 'current', 'retired'])
    .describe('next: published, not signing; current: signing; retired: published until expiry'),
  generation: z.string().describe('Keys created together (one RS256, one ES256)'),
  created_at: timestampSchema,
  activated_at: timestampSchema.nullable(),
  retired_at: timestampSchema.nullable(),
});

export const signingKeySchema = named('SigningKey', keySchema);
export const signingKeyListSchema = named(
  'SigningKeyList',
  z.object({ items: z.array(keySchema).describe('Current first, then next, then retired') }),
);

const rotateSchema = named(
  'KeyRotation',
  z
    .object({
      force: z
        .boolean()
        .default(false)
        .describe(
          'Rotate even when the next keys were published too recently for relying parties to have fetched them',
        ),
    })
    .strict(),
);

const kidParams = z.object({ kid: z.string().min(1).max(200) }).strict();

export function renderSigningKey(key: SigningKeyView) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    generation: key.generation,
    created_at: toTimestamp(key.createdAt),
    activated_at: optionalTimestamp(key.activatedAt),
    retired_at: optionalTimestamp(key.retiredAt),
  };
}

/** The signing keys (docs/signing-keys.md#operators): list, rotate now, emergency retire. */
export function createKeyRoutes(signingKeys: SigningKeyAdmin): AdminRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/keys',
      operationId: 'listSigningKeys',
      tag: TAG,
      summary: 'List the signing keys and their states',
      responses: { 200: { description: 'The keys', body: signingKeyListSchema } },
      async handle() {
        return { status: 200, body: { items: (await signingKeys.list()).map(renderSigningKey) } };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/keys/rotate',
      operationId: 'rotateSigningKeys',
      tag: TAG,
      summary: 'Rotate now: the next keys start signing, the current ones retire',
      description:
        'Refused (409, naming the remaining wait) while the next keys are younger than the publication lead time, unless `force`.',
      body: rotateSchema,
      responses: { 200: { description: 'The keys after rotation', body: signingKeyListSchema } },
      problems: ['validation_failed', 'conflict', 'unsupported_media_type', 'payload_too_large'],
      async handle({ body }) {
        const keys = await signingKeys.rotate({ force: body.force });
        return { status: 200, body: { items: keys.map(renderSigningKey) }, target: 'keys' };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/keys/{kid}/retire',
      operationId: 'retireSigningKey',
      tag: TAG,
      summary: 'Emergency retire: remove a key from the JWKS at once',
      description:
        'Tokens it signed stop verifying once relying parties refetch the JWKS. Refused (409) for the only current key of its algorithm: rotate first.',
      params: kidParams,
      responses: { 200: { description: 'The key as it was removed', body: signingKeySchema } },
      problems: ['not_found', 'conflict'],
      async handle({ params }) {
        return { status: 200, body: renderSigningKey(await signingKeys.retire(params.kid)) };
      },
    }),
  ];
}
