/** Every event type Tessera emits (docs/events.md#format). */
export const EVENT_TYPES = [
  'tessera.login.succeeded',
  'tessera.login.failed',
  'tessera.session.ended',
  'tessera.token.revoked',
  'tessera.grant.revoked',
  'tessera.account.created',
  'tessera.account.updated',
  'tessera.account.factor_added',
  'tessera.account.factor_removed',
  'tessera.account.factors_reset',
  'tessera.client.created',
  'tessera.client.updated',
  'tessera.client.deleted',
  'tessera.client.tokens_revoked',
  'tessera.client.secret_rotated',
  'tessera.resource_server.created',
  'tessera.resource_server.updated',
  'tessera.resource_server.deleted',
  'tessera.keys.rotated',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
