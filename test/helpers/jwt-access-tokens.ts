import { decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';

import {
  basicAuth,
  registerClient,
  relyingParty,
  type RegisteredClient,
} from './oauth-fixtures.ts';
import { holdTokenRequest } from './slow-request.ts';
import { waitFor } from './tessera-process.ts';
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
): {
  /** Resolves once Tessera has the request (slow-request.ts). */
  readonly arrived: Promise<void>;
  finish(): Promise<{ status: number; body: Record<string, unknown> }>;
} {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    resource: API,
    scope: 'orders:read',
  }).toString();
  const held = holdTokenRequest(issuer, body, {
    authorization: basicAuth(client.clientId, client.clientSecret),
  });
  return {
    arrived: held.arrived,
    async finish() {
      held.finish();
      const { status, text } = await held.response;
      return { status, body: JSON.parse(text) as Record<string, unknown> };
    },
  };
}

/** A client calling the introspection or revocation endpoint: Basic, or its id when public. */
export interface EndpointCaller {
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
}

export interface RawAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

/**
 * A raw RFC 7662 or RFC 7009 request about `token`, as `caller` authenticates it, answered as
 * it came: the tests compare bodies byte for byte.
 */
export async function callTokenEndpoint(
  issuer: string,
  endpoint: 'introspection' | 'revocation',
  caller: EndpointCaller,
  token: string,
): Promise<RawAnswer> {
  const form = new URLSearchParams({ token });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (caller.clientSecret === undefined) form.set('client_id', caller.clientId);
  else headers.authorization = basicAuth(caller.clientId, caller.clientSecret);
  const response = await fetch(`${issuer}/token/${endpoint}`, {
    method: 'POST',
    headers,
    body: form.toString(),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Whether `caller` is told the token is active. */
export async function isActiveFor(
  issuer: string,
  caller: EndpointCaller,
  token: string,
): Promise<boolean> {
  const answer = await callTokenEndpoint(issuer, 'introspection', caller, token);
  if (answer.status !== 200)
    throw new Error(`introspection answered ${answer.status}: ${answer.text}`);
  return (JSON.parse(answer.text) as { active: boolean }).active;
}

/**
 * Resolves once the wall clock is past the second `epochSeconds`: a token issued from then on
 * has a later `iat` (whole seconds, RFC 7519 NumericDate) than anything revoked up to it.
 */
export async function untilSecondAfter(epochSeconds: number): Promise<void> {
  await waitFor(
    async () => (Math.floor(Date.now() / 1000) > epochSeconds ? true : undefined),
    10_000,
    20,
  );
}
