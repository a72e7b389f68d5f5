import * as oidc from 'openid-client';

import type { TestTessera } from './test-tessera.ts';

export interface RegisteredClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Registers a confidential client-credentials client through the clients service. */
export async function registerClient(
  t: TestTessera,
  options: {
    scope?: string;
    authMethod?: 'client_secret_basic' | 'client_secret_post';
    name?: string;
  } = {},
): Promise<RegisteredClient> {
  const { client, secret } = await t.tessera.clients.create({
    name: options.name ?? 'test service',
    metadata: {
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: options.authMethod ?? 'client_secret_basic',
      ...(options.scope === undefined ? {} : { scope: options.scope }),
    },
  });
  if (!secret) throw new Error('expected a secret for a confidential client');
  return { clientId: client.clientId, clientSecret: secret.secret };
}

/** An openid-client Configuration (the certified RP library) for a registered client. */
export async function relyingParty(
  t: TestTessera,
  client: RegisteredClient,
  auth: 'basic' | 'post' = 'basic',
): Promise<oidc.Configuration> {
  const clientAuth =
    auth === 'basic'
      ? oidc.ClientSecretBasic(client.clientSecret)
      : oidc.ClientSecretPost(client.clientSecret);
  return oidc.discovery(new URL(t.issuer), client.clientId, undefined, clientAuth, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** POSTs a raw form to an endpoint: for the malformed requests a conforming RP never sends. */
export async function postForm(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

export const basicAuth = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The OAuth error an openid-client call was refused with, wherever the library put it. */
export function oauthErrorOf(error: unknown): {
  status: number | undefined;
  error: string | undefined;
} {
  const e = error as {
    status?: number;
    error?: string;
    cause?: { parameters?: { error?: string } }[] | { error?: string };
  };
  const fromChallenge = Array.isArray(e.cause) ? e.cause[0]?.parameters?.error : undefined;
  return {
    status: e.status,
    error: e.error ?? fromChallenge ?? (e.cause as { error?: string })?.error,
  };
}

/** Resolves with the OAuth error a promise is rejected with; fails if it resolves. */
export async function refusal(
  promise: Promise<unknown>,
): Promise<{ status: number | undefined; error: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    return oauthErrorOf(error);
  }
  throw new Error('expected the request to be refused');
}

/** The address an instance actually listens on (its issuer may be a shared, public one). */
export function listeningUrl(t: TestTessera): string {
  const address = t.tessera.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * An openid-client Configuration that talks to one instance of a multi-instance deployment: the
 * discovery document comes from that instance and its endpoints are pointed at it, the way a
 * load balancer would route the requests.
 */
export async function relyingPartyAt(
  baseUrl: string,
  client: RegisteredClient,
): Promise<oidc.Configuration> {
  const response = await fetch(`${baseUrl}/.well-known/openid-configuration`);
  const metadata = (await response.json()) as oidc.ServerMetadata;
  const routed = Object.fromEntries(
    Object.entries(metadata).map(([name, value]) => [
      name,
      name !== 'issuer' && typeof value === 'string' && value.startsWith(metadata.issuer)
        ? baseUrl + value.slice(metadata.issuer.length)
        : value,
    ]),
  ) as oidc.ServerMetadata;
  const configuration = new oidc.Configuration(
    routed,
    client.clientId,
    undefined,
    oidc.ClientSecretBasic(client.clientSecret),
  );
  oidc.allowInsecureRequests(configuration);
  return configuration;
}
