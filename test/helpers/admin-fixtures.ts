import * as oidc from 'openid-client';

import { registerClient, relyingParty, type RegisteredClient } from './oauth-fixtures.ts';
import type { TestTessera } from './test-tessera.ts';

export interface AdminResponse {
  readonly status: number;
  readonly headers: Headers;
  // Tests inspect arbitrary JSON shapes.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** An access token from Tessera's token endpoint (client credentials) for a new client. */
export async function issueToken(
  t: TestTessera,
  options: { scope?: string; clientScope?: string } = {},
): Promise<{ token: string; client: RegisteredClient }> {
  const scope = options.scope ?? 'tessera:admin';
  const client = await registerClient(t, { scope: options.clientScope ?? scope, name: 'admin' });
  const rp = await relyingParty(t, client);
  const response = await oidc.clientCredentialsGrant(rp, scope ? { scope } : {});
  return { token: response.access_token, client };
}

export type AdminCall = (
  method: string,
  path: string,
  options?: { body?: unknown; headers?: Record<string, string>; token?: string | null },
) => Promise<AdminResponse>;

/**
 * Calls /admin/v1<path> with the given token (null: without one) and parses the JSON answer.
 * `baseUrl`: where to send it when the issuer is not reachable by name (an https issuer).
 */
export function adminClient(t: TestTessera, token: string, baseUrl = t.issuer): AdminCall {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const bearer = options.token === undefined ? token : options.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${baseUrl}/admin/v1${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
  };
}
