import { z } from 'zod';

import type { AccountService, AccountView } from '../services/account-service.ts';
import { defineRoute, type AdminRoute } from './admin-route.ts';
import {
  fetchPage,
  idParams,
  optionalTimestamp,
  pageOf,
  pageQueryShape,
  timestampSchema,
  toTimestamp,
} from './common-schemas.ts';
import { named } from './named-schema.ts';

const TAG = 'users';

// Lengths only: the account service applies the real rules (and names the field) itself.
const password = z.string().min(1).max(1024).describe('Checked against the password policy');

export const userSchema = named(
  'User',
  z.object({
    id: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    name: z.string().nullable(),
    disabled: z.boolean(),
    locked_until: timestampSchema
      .nullable()
      .describe('Sign-in is locked until then after repeated failures; null when not locked'),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  }),
);

export const userPageSchema = named('UserPage', pageOf(userSchema.schema));

const userCreateSchema = named(
  'UserCreate',
  z
    .object({
      username: z
        .string()
        .min(1)
        .max(256)
        .describe(
          'Up to 64 letters, digits and . _ @ + - of one script (RFC 8265, UTS #39); 409 when taken or a look-alike of an existing one',
        ),
      password,
      email: z.string().max(320).optional(),
      email_verified: z.boolean().optional().describe('Default false'),
      name: z.string().max(400).optional(),
    })
    .strict(),
);

const passwordSchema = named('PasswordChange', z.object({ password }).strict());

const userListQuery = z
  .object({
    ...pageQueryShape,
    search: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('Only users whose username, email or name contains this, in any case'),
  })
  .strict();

export function renderUser(user: AccountView) {
  return {
    id: user.id,
    username: user.username,
    email: user.email ?? null,
    email_verified: user.emailVerified,
    name: user.name ?? null,
    disabled: user.disabled,
    locked_until: optionalTimestamp(user.lockedUntil),
    created_at: toTimestamp(user.createdAt),
    updated_at: toTimestamp(user.updatedAt),
  };
}

/** A state change of one user (disable, enable, unlock): POST, no body, the user back. */
function userAction(
  operationId: string,
  verb: string,
  summary: string,
  run: (id: string) => Promise<AccountView>,
): AdminRoute {
  return defineRoute({
    method: 'post',
    path: `/users/{id}/${verb}`,
    operationId,
    tag: TAG,
    summary,
    params: idParams,
    responses: { 200: { description: 'The user', body: userSchema } },
    problems: ['not_found'],
    async handle({ params }) {
      return { status: 200, body: renderUser(await run(params.id)) };
    },
  });
}

/** End-user accounts (issue 4's AccountService). Passwords go in, never out, never logged. */
export function createUserRoutes(accounts: AccountService): AdminRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/users',
      operationId: 'createUser',
      tag: TAG,
      summary: 'Create a user',
      body: userCreateSchema,
      responses: { 201: { description: 'Created', body: userSchema } },
      problems: [
        'validation_failed',
        'conflict',
        'unsupported_media_type',
        'payload_too_large',
        'temporarily_unavailable',
      ],
      async handle({ body }) {
        const user = await accounts.create({
          username: body.username,
          password: body.password,
          email: body.email,
          emailVerified: body.email_verified,
          name: body.name,
        });
        return { status: 201, body: renderUser(user), target: user.id };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      tag: TAG,
      summary: 'List users, ordered by id; search by username, email or name',
      query: userListQuery,
      responses: { 200: { description: 'One page of users', body: userPageSchema } },
      problems: ['validation_failed'],
      async handle({ query }) {
        const body = await fetchPage(
          query,
          (p) => accounts.list({ ...p, search: query.search }),
          (user) => user.id,
          renderUser,
        );
        return { status: 200, body };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/users/{id}',
      operationId: 'getUser',
      tag: TAG,
      summary: 'Get a user',
      params: idParams,
      responses: { 200: { description: 'The user', body: userSchema } },
      problems: ['not_found'],
      async handle({ params }) {
        return { status: 200, body: renderUser(await accounts.get(params.id)) };
      },
    }),

    userAction(
      'disableUser',
      'disable',
      'Disable a user: sign-in is refused, its sessions end and every grant and token it holds is revoked',
      (id) => accounts.setDisabled(id, true),
    ),
    userAction('enableUser', 'enable', 'Enable a disabled user', (id) =>
      accounts.setDisabled(id, false),
    ),
    userAction('unlockUser', 'unlock', 'Clear failed sign-ins and any lockout', (id) =>
      accounts.unlock(id),
    ),

    defineRoute({
      method: 'put',
      path: '/users/{id}/password',
      operationId: 'setUserPassword',
      tag: TAG,
      summary:
        "Set a user's password; its sessions end and every grant and token it holds is revoked",
      params: idParams,
      body: passwordSchema,
      responses: { 204: { description: 'Changed' } },
      problems: [
        'validation_failed',
        'not_found',
        'unsupported_media_type',
        'payload_too_large',
        'temporarily_unavailable',
      ],
      async handle({ params, body }) {
        await accounts.setPassword(params.id, body.password);
        return { status: 204 };
      },
    }),
  ];
}
