import type { NewEvent } from '../../src/events/event-factory.ts';

const DIGEST = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';

/** One valid event of every type, as a producer would hand it to the event factory. */
export const SAMPLE_EVENTS: readonly NewEvent[] = [
  {
    type: 'tessera.login.succeeded',
    subject: 'acct_1',
    data: { account_id: 'acct_1', client_id: 'cl_1', ip_hash: DIGEST, amr: ['pwd', 'otp', 'mfa'] },
  },
  {
    type: 'tessera.login.failed',
    subject: 'acct_1',
    data: {
      reason: 'wrong_password',
      account_id: 'acct_1',
      client_id: null,
      ip_hash: DIGEST,
      failures: 3,
      locked: false,
    },
  },
  {
    type: 'tessera.session.ended',
    subject: 'acct_1',
    data: {
      account_id: 'acct_1',
      client_id: 'cl_1',
      reason: 'logout',
      sid: 'sid-1',
      clients: [{ client_id: 'cl_1', sid: 'sid-1' }],
    },
  },
  {
    type: 'tessera.token.revoked',
    subject: 'acct_1',
    data: {
      token_type: 'access_token',
      format: 'jwt',
      jti: 'jti-1',
      client_id: 'cl_1',
      sub: 'acct_1',
      grant_id: 'grant-1',
      exp: 1_767_229_200,
      reason: 'refresh_token_reuse',
    },
  },
  {
    type: 'tessera.grant.revoked',
    subject: 'acct_1',
    data: { grant_id: 'grant-1', client_id: 'cl_1', sub: 'acct_1', reason: 'refresh_token_reuse' },
  },
  {
    type: 'tessera.account.created',
    subject: 'acct_1',
    data: { account_id: 'acct_1', version: 1 },
  },
  {
    type: 'tessera.account.updated',
    subject: 'acct_1',
    data: { account_id: 'acct_1', change: 'disabled', disabled: true, version: 2 },
  },
  {
    type: 'tessera.account.factor_added',
    subject: 'acct_1',
    data: { account_id: 'acct_1', kind: 'totp' },
  },
  {
    type: 'tessera.account.factor_removed',
    subject: 'acct_1',
    data: { account_id: 'acct_1', kind: 'totp', by: 'user' },
  },
  {
    type: 'tessera.account.factors_reset',
    subject: 'acct_1',
    data: { account_id: 'acct_1', removed: 2 },
  },
  {
    type: 'tessera.client.created',
    subject: 'cl_1',
    data: {
      client_id: 'cl_1',
      name: 'Billing',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      version: 1,
    },
  },
  {
    type: 'tessera.client.updated',
    subject: 'cl_1',
    data: {
      client_id: 'cl_1',
      name: 'Billing v2',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      version: 2,
    },
  },
  {
    type: 'tessera.client.deleted',
    subject: 'cl_1',
    data: { client_id: 'cl_1', tokens_valid_until: 1_767_315_600 },
  },
  {
    type: 'tessera.client.tokens_revoked',
    subject: 'cl_1',
    data: { client_id: 'cl_1', issued_before: 1_767_229_200, tokens_valid_until: 1_767_315_600 },
  },
  {
    type: 'tessera.client.secret_rotated',
    subject: 'cl_1',
    data: { client_id: 'cl_1', secret_id: 'sec_1', change: 'added' },
  },
  {
    type: 'tessera.resource_server.created',
    subject: 'rs_1',
    data: {
      id: 'rs_1',
      audience: 'https://api.example.com',
      scopes: ['read'],
      access_token_format: 'jwt',
    },
  },
  {
    type: 'tessera.resource_server.updated',
    subject: 'rs_1',
    data: {
      id: 'rs_1',
      audience: 'https://api.example.com',
      scopes: ['read', 'write'],
      access_token_format: 'opaque',
      introspectors: ['cl_1'],
      require_dpop: true,
    },
  },
  { type: 'tessera.resource_server.deleted', subject: 'rs_1', data: { id: 'rs_1' } },
  {
    type: 'tessera.keys.rotated',
    subject: 'gen_1',
    key: 'tessera.signing-keys',
    data: { reason: 'scheduled', current: ['kid-2'], retired: ['kid-1'], removed: [] },
  },
];
