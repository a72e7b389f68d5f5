import { z } from 'zod';

import type { FactorAdmin } from '../services/factors/factor-admin.ts';
import { defineRoute, type AdminRoute } from './admin-route.ts';
import { idParams, optionalTimestamp, timestampSchema, toTimestamp } from './common-schemas.ts';
import { named } from './named-schema.ts';

const TAG = 'users';

export const userFactorsSchema = named(
  'UserFactors',
  z.object({
    items: z.array(
      z.object({
        id: z.string(),
        kind: z
          .enum(['totp', 'recovery_codes', 'passkey'])
          .describe('totp: an authenticator app; recovery_codes: the set of recovery codes'),
        name: z.string().nullable(),
        created_at: timestampSchema,
        last_used_at: timestampSchema.nullable(),
        remaining: z
          .int()
          .nullable()
          .describe('recovery_codes only: how many are left unused; null otherwise'),
      }),
    ),
  }),
);

export const factorResetSchema = named(
  'UserFactorsReset',
  z.object({
    removed: z.int().describe('How many factors went (the recovery codes count as one)'),
    sessions_ended: z.int().describe('How many of its sessions ended'),
  }),
);

/** An account's second factors: listed without any secret, and reset by an administrator. */
export function createUserFactorRoutes(admin: FactorAdmin): AdminRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/users/{id}/factors',
      operationId: 'listUserFactors',
      tag: TAG,
      summary: "List a user's second factors (never their secrets)",
      params: idParams,
      responses: { 200: { description: 'The factors', body: userFactorsSchema } },
      problems: ['not_found'],
      async handle({ params }) {
        const factors = await admin.list(params.id);
        return {
          status: 200,
          body: {
            items: factors.map((factor) => ({
              id: factor.id,
              kind: factor.kind,
              name: factor.name ?? null,
              created_at: toTimestamp(factor.createdAt),
              last_used_at: optionalTimestamp(factor.lastUsedAt),
              remaining: factor.remaining ?? null,
            })),
          },
        };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/users/{id}/reset-factors',
      operationId: 'resetUserFactors',
      tag: TAG,
      summary:
        'Remove every second factor of a user; its sessions end and every grant and token it holds is revoked',
      params: idParams,
      responses: { 200: { description: 'What was removed', body: factorResetSchema } },
      problems: ['not_found'],
      async handle({ params }) {
        const { removed, sessions } = await admin.reset(params.id);
        return { status: 200, body: { removed, sessions_ended: sessions } };
      },
    }),
  ];
}
