import { decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';

import {
  basicAuth,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from './oauth-fixtures.ts';
import { holdTokenRequest } from './slow-request.ts';
import type { TestTessera } from './test-tessera.ts';

export const API = 'https://orders.example.com/api';

/** A resource server issuing ES256 JWT access tokens, and a client allowed to ask for them. */
export async function registerApiClient(
  t: TestTessera,
): Promise<{ client: RegisteredClient; rp: oidc.Configuration }> {
  await t.tessera.resourceServers.create({ audience: API, scopes: ['orders:read'] });
  const client = await registerClient(t, { scope: 'orders:read' });
  return { client, rp: await relyingParty(t, client) };
}

/** A client-credentials JWT access token for API, through openid-client. */
export async function issueAccessToken(rp: oidc.Configuration): Promise<string> {
  const response = await oidc.clientCredentialsGrant(rp, { resource: API, scope: 'orders:read' });
  return response.access_token;
}

export const kidOf = (jwt: string): string => decodeProtectedHeader(jwt).kid as string;

/**
 * Starts a token request whose body is held back until `finish()`: the request is in flight
 * (Tessera has routed it) while the test does something else.
 */
export function startSlowTokenRequest(
  issuer: string,
  client: RegisteredClient,
): { finish(): Promise<{ status: number; body: Record<string, unknown> }> } {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    resource: API,
    scope: 'orders:read',
  }).toString();
  const held = holdTokenRequest(issuer, body, {
    authorization: basicAuth(client.clientId, client.clientSecret),
  });
  return {
    async finish() {
      held.finish();
      const { status, text } = await held.response;
      return { status, body: JSON.parse(text) as Record<string, unknown> };
    },
  };
}
