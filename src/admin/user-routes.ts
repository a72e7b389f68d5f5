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
import { importedHashInput, importedHashSchema } from './imported-password-hash-schema.ts';
import { named } from './named-schema.ts';

const TAG = 'users';

// Lengths only: the account service applies the real rules (and names the field) itself.
const password = z.string().min(1).max(1024).describe('Checked against the password policy');

/**
 * The profile fields (OIDC Core section 5.1 claims, released under the `profile` scope), as
 * create and PATCH take them; account-profile.ts checks them and names the field it refuses.
 */
const profileInput = {
  name: z.string().max(400).describe('Display name; no control or text-direction characters'),
  given_name: z.string().max(400).describe('Given name(s); the same rules as name'),
  family_name: z.string().max(400).describe('Surname(s); the same rules as name'),
  locale: z.string().max(100).describe('BCP 47 language tag (RFC 5646), e.g. en-US; canonicalised'),
  zoneinfo: z.string().max(100).describe('IANA time zone name, e.g. Europe/Paris'),
  picture: z
    .string()
    .max(2000)
    .describe('Absolute https URL of a picture (http accepted outside production)'),
};

const optionalProfile = Object.fromEntries(
  Object.entries(profileInput).map(([field, schema]) => [field, schema.optional()]),
) as { [F in keyof typeof profileInput]: z.ZodOptional<(typeof profileInput)[F]> };

const patchableProfile = Object.fromEntries(
  Object.entries(profileInput).map(([field, schema]) => [field, schema.nullable().optional()]),
) as { [F in keyof typeof profileInput]: z.ZodOptional<z.ZodNullable<(typeof profileInput)[F]>> };

export const userSchema = named(
  'User',
  z.object({
    id: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    name: z.string().nullable(),
    given_name: z.string().nullable(),
    family_name: z.string().nullable(),
    locale: z.string().nullable(),
    zoneinfo: z.string().nullable(),
    picture: z.string().nullable(),
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
      password: password
        .optional()
        .describe('Checked against the password policy; or give password_hash'),
      password_hash: importedHashSchema
        .nullable()
        .optional()
        .describe(
          'Instead of password: a hash imported from another server, verified at the first ' +
            'sign-in and replaced by an argon2id hash then; null creates the user without a ' +
            'usable password (an administrator sets one)',
        ),
      email: z.string().max(320).optional(),
      email_verified: z.boolean().optional().describe('Default false'),
      disabled: z.boolean().optional().describe('Default false'),
      ...optionalProfile,
    })
    .strict(),
);

const userPatchSchema = named(
  'UserPatch',
  z
    .object(patchableProfile)
    .strict()
    .describe(
      'A JSON merge patch (RFC 7396) of the profile: given fields replace, null (or an empty ' +
        'string) removes, absent fields stay',
    ),
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
    given_name: user.givenName ?? null,
    family_name: user.familyName ?? null,
    locale: user.locale ?? null,
    zoneinfo: user.zoneinfo ?? null,
    picture: user.picture ?? null,
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
          importedHash: importedHashInput(body.password_hash),
          email: body.email,
          emailVerified: body.email_verified,
          disabled: body.disabled,
          name: body.name,
          givenName: body.given_name,
          familyName: body.family_name,
          locale: body.locale,
          zoneinfo: body.zoneinfo,
          picture: body.picture,
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

    defineRoute({
      method: 'patch',
      path: '/users/{id}',
      operationId: 'updateUser',
      tag: TAG,
      summary: "Change a user's profile: name, given_name, family_name, locale, zoneinfo, picture",
      description:
        'Not conditional: users have no ETag, because sign-in changes the record too. Only the ' +
        'named fields are written, over whatever the record holds by then; a change that leaves ' +
        'every field as it is answers the user as stored, with no event.',
      params: idParams,
      body: userPatchSchema,
      responses: { 200: { description: 'The changed user', body: userSchema } },
      problems: [
        'validation_failed',
        'not_found',
        'conflict',
        'unsupported_media_type',
        'payload_too_large',
      ],
      async handle({ params, body }) {
        const user = await accounts.updateProfile(params.id, {
          name: body.name,
          givenName: body.given_name,
          familyName: body.family_name,
          locale: body.locale,
          zoneinfo: body.zoneinfo,
          picture: body.picture,
        });
        return { status: 200, body: renderUser(user) };
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
