import { z } from 'zod';

/**
 * The `data` of each event type, defined once. Producers validate strictly (no field the schema
 * does not name: a stray field is how a secret would leak into an event); consumers parse
 * loosely (fields added by a newer Tessera are ignored, so adding an optional field is a
 * compatible change). Both come from the same definitions through `object`.
 */
type ObjectFactory = typeof z.object | typeof z.strictObject;

const id = z.string().min(1);
const nullableId = id.nullable();
/** RFC 4648 section 5 base64url, unpadded, of 32 bytes (SHA-256 or HMAC-SHA-256). */
const digest = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'an unpadded base64url 32-byte digest');
const epochSeconds = z.int().nonnegative();

export function defineEventData(object: ObjectFactory) {
  const clientSummary = object({
    client_id: id,
    name: z.string(),
    grant_types: z.array(z.string()),
    token_endpoint_auth_method: z.string(),
    version: z.int().positive().describe('The client record version after the change'),
  });
  const resourceServerSummary = object({
    id,
    audience: z.string().describe('The RFC 8707 resource indicator (the `aud` of its tokens)'),
    scopes: z.array(z.string()),
    access_token_format: z.enum(['jwt', 'opaque']),
    // Optional for consumers: events recorded before resource servers had introspectors lack it.
    introspectors: z
      .array(id)
      .optional()
      .describe(
        'Client ids that may introspect tokens for this audience besides their own client (RFC 7662)',
      ),
    // Optional for consumers: events recorded before resource servers had the setting lack it.
    require_dpop: z
      .boolean()
      .optional()
      .describe('Tokens for this audience are issued only DPoP-bound (RFC 9449 `cnf.jkt`)'),
  });

  const accountVersion = z
    .int()
    .positive()
    .describe('The account record version after the change: a consumer keeps the highest');

  /** A second factor or passkey (src/ports/account-factors.ts FactorKind). */
  const factorKind = z.enum(['totp', 'recovery_codes', 'passkey']);

  /** An administrator's change that ends all of an account's access (tessera.account.updated). */
  const accountRevocation = z.enum(['account_disabled', 'password_changed', 'factors_reset']);
  /** Why tokens or a grant stopped being valid. */
  const revocationReason = z
    .enum([
      'revocation_endpoint',
      'refresh_token_reuse',
      'code_reuse',
      'logout',
      ...accountRevocation.options,
      'client_deleted',
      'client_tokens_revoked',
      'other',
    ])
    .describe(
      'revocation_endpoint: RFC 7009 request; refresh_token_reuse / code_reuse: a used refresh ' +
        'token or authorization code was presented again, so its whole grant is revoked ' +
        '(RFC 9700 section 4.14.2, RFC 6749 section 4.1.2); logout: RP-initiated logout; ' +
        'account_disabled / password_changed / factors_reset: an administrator disabled the ' +
        'account, set its password or removed its second factors, which revokes everything it ' +
        'holds; client_deleted: an administrator ' +
        'deleted the client the token or grant was issued to; client_tokens_revoked: an ' +
        'administrator revoked every token of that client, keeping the client; other: any ' +
        'other removal',
    );
  const tokenCommon = {
    token_type: z
      .enum(['access_token', 'refresh_token'])
      .describe('RFC 7009 token type hint values'),
    client_id: id,
    sub: nullableId.describe('The token subject (user id); null for client-credentials tokens'),
    grant_id: nullableId.describe('The grant the token belonged to; null when none'),
    exp: epochSeconds
      .nullable()
      .describe('Epoch seconds the token expires at: a deny-list entry may go after it'),
    reason: revocationReason,
  };

  return {
    'tessera.login.succeeded': object({
      account_id: id,
      client_id: nullableId.describe('The client the person signed in to'),
      ip_hash: digest.describe('HMAC-SHA-256 of the client IP under a server secret'),
      // Optional for consumers: events recorded before second factors lack it.
      amr: z
        .array(z.string())
        .optional()
        .describe('How the person authenticated: RFC 8176 method names, as in the ID token'),
    }),
    'tessera.login.failed': object({
      reason: z.enum(['unknown_user', 'wrong_password', 'account_disabled', 'wrong_second_factor']),
      account_id: nullableId.describe('null when no account has the typed username'),
      client_id: nullableId,
      ip_hash: digest,
      failures: z.int().positive().describe('Failures counted in the current window'),
      locked: z.boolean().describe('This failure locked the account (or the username)'),
    }),
    'tessera.session.ended': object({
      account_id: id,
      client_id: nullableId.describe('The client that asked for the logout, if one did'),
      reason: z
        .enum(['logout', ...accountRevocation.options])
        .describe(
          'logout: the person confirmed RP-initiated logout; account_disabled / ' +
            'password_changed / factors_reset: an administrator ended every session of the account',
        ),
      sid: nullableId.describe(
        "The `sid` claim of that client's ID tokens for the session (OIDC Back-Channel Logout)",
      ),
      clients: z
        .array(object({ client_id: id, sid: id }))
        .describe('Every client the session had signed in to, with the `sid` its ID tokens carry'),
    }),
    'tessera.token.revoked': z.discriminatedUnion('format', [
      object({
        ...tokenCommon,
        token_type: z.literal('access_token'),
        format: z.literal('jwt'),
        jti: id.describe('The `jti` claim of the revoked JWT access token (RFC 9068)'),
      }).describe('A JWT access token: deny its `jti` until `exp`'),
      object({
        ...tokenCommon,
        format: z.literal('opaque'),
        token_hash: digest.describe(
          'base64url(SHA-256(token)) of the opaque token value; the token itself never appears',
        ),
      }).describe('An opaque access or refresh token'),
    ]),
    'tessera.grant.revoked': object({
      grant_id: id,
      client_id: id,
      sub: nullableId,
      reason: revocationReason,
    }),
    'tessera.account.created': object({
      account_id: id.describe('The new account (the `sub` of its tokens)'),
      version: accountVersion,
    }),
    'tessera.account.updated': object({
      account_id: id,
      change: z
        .enum(['disabled', 'enabled', 'unlocked', 'password_changed', 'profile_changed'])
        .describe(
          'What an administrator did: disabled / enabled (sign-in refused / allowed again; ' +
            'disabling also revokes every grant and session of the account), unlocked (failed ' +
            'sign-ins and any lockout cleared), password_changed (also revokes every grant and ' +
            'session), profile_changed (profile fields set or removed: see `fields`)',
        ),
      fields: z
        .array(z.enum(['name', 'given_name', 'family_name', 'locale', 'zoneinfo', 'picture']))
        .optional()
        .describe(
          'profile_changed only: which profile fields changed (their values never appear in ' +
            'events; read them from the admin API)',
        ),
      disabled: z.boolean().describe('Whether the account is disabled after the change'),
      version: accountVersion,
    }),
    'tessera.account.factor_added': object({
      account_id: id,
      kind: factorKind,
    }),
    'tessera.account.factor_removed': object({
      account_id: id,
      kind: factorKind,
      by: z.enum(['user', 'admin']).describe('Who removed it: the person on /account, or an admin'),
    }),
    'tessera.account.factors_reset': object({
      account_id: id,
      removed: z
        .int()
        .nonnegative()
        .describe('How many factors went (recovery codes count as one)'),
    }),
    'tessera.client.created': clientSummary,
    'tessera.client.updated': clientSummary,
    'tessera.client.deleted': object({
      client_id: id,
      tokens_valid_until: epochSeconds
        .optional()
        .describe(
          'Epoch seconds after which no access token issued to the client can still be valid: ' +
            'deny every token whose `client_id` is this client until then (its JWT access ' +
            'tokens from client credentials are named by no other event). Absent from events ' +
            'of a Tessera older than this field',
        ),
    }),
    'tessera.client.tokens_revoked': object({
      client_id: id,
      issued_before: epochSeconds.describe(
        'Epoch seconds: every token issued to the client at or before this second (`iat` ≤ ' +
          'issued_before) is revoked. Its grants, refresh tokens and opaque tokens are gone ' +
          '(each named by tessera.token.revoked / tessera.grant.revoked); its JWT access tokens ' +
          'are named by this event alone',
      ),
      tokens_valid_until: epochSeconds.describe(
        'Epoch seconds after which none of those tokens can still be valid (issued_before + ' +
          'the longest access-token TTL Tessera may issue): deny the JWT access tokens of this ' +
          'client with `iat` ≤ issued_before until then',
      ),
    }),
    'tessera.client.secret_rotated': object({
      client_id: id,
      secret_id: id.describe('The id of the secret (never the secret or its hash)'),
      change: z.enum(['added', 'removed']),
    }),
    'tessera.resource_server.created': resourceServerSummary,
    'tessera.resource_server.updated': resourceServerSummary,
    'tessera.resource_server.deleted': object({ id }),
    'tessera.keys.rotated': object({
      reason: z.enum(['scheduled', 'manual', 'forced', 'repair', 'emergency_retire']),
      current: z.array(id).describe('kids that sign after the change'),
      retired: z.array(id).describe('kids still published in JWKS but no longer signing'),
      removed: z.array(id).describe('kids removed from JWKS by this change: distrust them now'),
    }),
  };
}
