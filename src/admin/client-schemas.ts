import { z } from 'zod';

import { CLIENT_ID_SYNTAX, MAX_CLIENT_ID_LENGTH } from '../services/client-ids.ts';
import { CLIENT_AUTH_METHODS } from '../services/client-rules.ts';
import {
  KNOWN_SECRET_SYNTAX,
  MAX_KNOWN_SECRET_LENGTH,
  MIN_KNOWN_SECRET_LENGTH,
} from '../services/known-client-secrets.ts';
import {
  configKeyInput,
  configKeyOutput,
  pageOf,
  pageQueryShape,
  timestampSchema,
} from './common-schemas.ts';
import { named } from './named-schema.ts';

const uri = z.string().min(1).max(2000);
const uris = z.array(uri).max(100);

/**
 * Client metadata as oidc-provider names it (OIDC Dynamic Client Registration / RFC 7591),
 * limited to what Tessera supports. The semantics (absolute https redirect URIs, grant and
 * response type consistency, algorithms) are checked by oidc-provider's own Client schema in
 * ClientService, so a client is refused here exactly when the protocol layer would refuse it.
 */
const metadataInput = {
  grant_types: z
    .array(z.enum(['client_credentials', 'authorization_code', 'refresh_token']))
    .min(1)
    .describe('Default ["client_credentials"]'),
  response_types: z
    .array(z.enum(['code']))
    .describe('Derived from grant_types when omitted: ["code"] with authorization_code'),
  scope: z
    .string()
    .max(4000)
    .describe(
      'Space-separated allow-list: static scopes (openid, profile, email, offline_access, tessera:admin) and resource-server scopes',
    ),
  redirect_uris: uris.describe(
    'In production https only, except http://127.0.0.1 or http://[::1] for a native client (RFC 8252 section 7.3); http://localhost is refused there (section 8.3)',
  ),
  post_logout_redirect_uris: uris.describe('Same rule as redirect_uris'),
  token_endpoint_auth_method: z
    .enum(CLIENT_AUTH_METHODS)
    .describe('Default client_secret_basic; `none` makes a public client (PKCE required)'),
  token_endpoint_auth_signing_alg: z.enum(['RS256', 'PS256', 'ES256', 'EdDSA']),
  jwks: z
    .object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(20) })
    .describe(
      'Public keys for private_key_jwt: asymmetric only (no oct key, no HS* alg), RSA at least 2048 bits',
    ),
  jwks_uri: uri.describe(
    'Where the public keys for private_key_jwt are published; https only in production',
  ),
  backchannel_logout_uri: uri.describe('https only in production'),
  backchannel_logout_session_required: z.boolean(),
  application_type: z.enum(['web', 'native']),
  client_uri: uri,
  logo_uri: uri,
  policy_uri: uri,
  tos_uri: uri,
  contacts: z.array(z.string().max(320)).max(20),
  id_token_signed_response_alg: z.enum(['RS256', 'ES256']),
  default_max_age: z.int().min(0),
  require_auth_time: z.boolean(),
  require_pushed_authorization_requests: z.boolean(),
};

export type MetadataField = keyof typeof metadataInput;
export const METADATA_FIELDS = Object.keys(metadataInput) as MetadataField[];

const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .describe('Display name (client_name); control and text-direction characters are refused');

export const clientCreateSchema = named(
  'ClientCreate',
  z
    .object({
      client_id: z
        .string()
        .min(1)
        .max(MAX_CLIENT_ID_LENGTH)
        .regex(CLIENT_ID_SYNTAX, 'must be printable ASCII without leading or trailing spaces')
        .optional()
        .describe(
          'The id to register the client under, e.g. one it had on another server: printable ' +
            'ASCII (RFC 6749 Appendix A.1), no leading or trailing space; a taken id is refused ' +
            '(409). Generated (cl_…) when omitted',
        ),
      name,
      ...z.object(metadataInput).partial().shape,
      secret_expires_at: z.iso
        .datetime({ offset: true })
        .optional()
        .describe('When the first secret stops working; never when omitted'),
      client_secret: z
        .string()
        .min(MIN_KNOWN_SECRET_LENGTH)
        .max(MAX_KNOWN_SECRET_LENGTH)
        .regex(KNOWN_SECRET_SYNTAX, 'must be printable ASCII')
        .optional()
        .describe(
          'Confidential clients only: the first secret, when it is already known (a client ' +
            'moved from another server keeps its secret). Stored only hashed, like a generated ' +
            `one, and not returned. ${MIN_KNOWN_SECRET_LENGTH}-${MAX_KNOWN_SECRET_LENGTH} ` +
            'printable ASCII characters (RFC 6749 Appendix A.2); generated when omitted',
        ),
      config_key: configKeyInput.optional(),
    })
    .strict(),
);

const nullableMetadata = Object.fromEntries(
  Object.entries(metadataInput).map(([field, schema]) => [field, schema.nullable().optional()]),
) as { [K in MetadataField]: z.ZodOptional<z.ZodNullable<(typeof metadataInput)[K]>> };

export const clientPatchSchema = named(
  'ClientPatch',
  z
    .object({
      name: name.optional(),
      ...nullableMetadata,
      version: z
        .int()
        .min(1)
        .optional()
        .describe('The version being changed; an alternative to If-Match'),
    })
    .strict()
    .describe(
      'JSON merge patch (RFC 7396) of the client: given fields replace, null removes (back to the default)',
    ),
);

/** Stored metadata as read back: typed loosely, so older or foreign values still render. */
const metadataOutput = {
  grant_types: z.array(z.string()),
  response_types: z.array(z.string()),
  token_endpoint_auth_method: z.string(),
  scope: z.string().optional(),
  redirect_uris: z.array(z.string()).optional(),
  post_logout_redirect_uris: z.array(z.string()).optional(),
  token_endpoint_auth_signing_alg: z.string().optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
  jwks_uri: z.string().optional(),
  backchannel_logout_uri: z.string().optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  application_type: z.string().optional(),
  client_uri: z.string().optional(),
  logo_uri: z.string().optional(),
  policy_uri: z.string().optional(),
  tos_uri: z.string().optional(),
  contacts: z.array(z.string()).optional(),
  id_token_signed_response_alg: z.string().optional(),
  default_max_age: z.number().optional(),
  require_auth_time: z.boolean().optional(),
  require_pushed_authorization_requests: z.boolean().optional(),
} satisfies Record<MetadataField, z.ZodType>;

export const secretInfoSchema = z.object({
  id: z.string(),
  created_at: timestampSchema,
  expires_at: timestampSchema.nullable().describe('null: never expires'),
});

export const clientSchema = named(
  'Client',
  z.object({
    client_id: z.string(),
    name: z.string(),
    ...metadataOutput,
    secrets: z
      .array(secretInfoSchema)
      .describe('Ids, creation and expiry only: secret values are never shown again'),
    created_at: timestampSchema,
    updated_at: timestampSchema,
    version: z.int().min(1).describe('Also the ETag; send it back in If-Match to update'),
    tokens_revoked_at: timestampSchema
      .optional()
      .describe(
        'When every token of the client was last revoked (POST /clients/{client_id}/revoke-tokens): ' +
          'tokens issued at or before this second are refused. Absent if that never happened',
      ),
    config_key: configKeyOutput,
  }),
);

export const createdClientSchema = named(
  'CreatedClient',
  clientSchema.schema.extend({
    client_secret: z
      .string()
      .optional()
      .describe('Confidential clients only. Shown this once: store it now'),
  }),
);

export const clientPageSchema = named('ClientPage', pageOf(clientSchema.schema));

export const clientListQuery = z.object(pageQueryShape).strict();

export const clientIdParams = z
  .object({ client_id: z.string().min(1).max(MAX_CLIENT_ID_LENGTH) })
  .strict();

export const secretParams = clientIdParams.extend({ secret_id: z.string().min(1).max(200) });

export const secretCreateSchema = named(
  'SecretCreate',
  z
    .object({
      expires_at: z.iso
        .datetime({ offset: true })
        .optional()
        .describe('When the secret stops working; never when omitted'),
    })
    .strict(),
);

export const createdSecretSchema = named(
  'CreatedSecret',
  secretInfoSchema.extend({
    secret: z.string().describe('The secret value. Shown this once: store it now'),
  }),
);

export const secretListSchema = named('SecretList', z.object({ items: z.array(secretInfoSchema) }));

const count = z.int().min(0);

export const clientTokensRevokedSchema = named(
  'ClientTokensRevoked',
  z.object({
    client_id: z.string(),
    issued_before: timestampSchema.describe(
      'Every token issued to the client at or before this second is revoked; tokens issued ' +
        'after it are not',
    ),
    tokens_valid_until: timestampSchema.describe(
      'When the last of the revoked JWT access tokens would have expired anyway (the longest ' +
        'access-token TTL after issued_before): resource servers following the events deny ' +
        'them until then',
    ),
    revoked: z
      .object({
        grants: count,
        refresh_tokens: count,
        access_tokens: count.describe(
          "Stored access tokens: opaque ones, and the records of users' JWTs",
        ),
        codes: count.describe(
          'Authorization and other codes still stored (a redeemed code stays until it expires)',
        ),
      })
      .describe(
        'What was removed from the store. Client-credentials JWTs are stored nowhere: they are ' +
          'refused by issued_before, and not counted',
      ),
  }),
);
