import type { z } from 'zod';

import { ADMIN_SCOPE } from '../provider/scopes.ts';
import { CliError, EXIT_FAILURE, usageError } from './cli-error.ts';

export interface Connection {
  readonly url: string;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
}

export interface CallOptions<T extends z.ZodType> {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly ifMatch?: string;
  /** The response schema the admin API declares for this operation. */
  readonly response?: T;
}

export interface AdminHttpClient {
  call<T extends z.ZodType>(
    method: string,
    path: string,
    options?: CallOptions<T>,
  ): Promise<{ body: z.output<T>; etag: string | undefined }>;
}

const TIMEOUT_MS = 30_000;

interface Problem {
  readonly detail?: string;
  readonly code?: string;
  readonly field?: string;
  readonly error?: string;
  readonly error_description?: string;
}

/**
 * The CLI's only way to Tessera: a client-credentials token from its token endpoint (RFC 6749
 * section 4.4, client_secret_basic), then the admin API with that token. Every failure becomes
 * one CliError line: unreachable, refused credentials, or the API's problem detail.
 */
export function connectAdminApi(connection: Connection): AdminHttpClient {
  const base = parseBaseUrl(connection.url);
  let token: Promise<string> | undefined;

  const send = async (url: URL, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      throw new CliError(`cannot reach Tessera at ${base.origin}: ${describeNetworkError(error)}`);
    }
  };

  const fetchToken = async (): Promise<string> => {
    const { clientId, clientSecret } = connection;
    if (!clientId || !clientSecret) {
      throw usageError(
        'no admin credentials: set TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET (tessera init prints them) or pass --client-id and --client-secret',
      );
    }
    // RFC 6749 section 2.3.1: form-urlencode id and secret before Basic encoding.
    const basic = Buffer.from(
      `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
    ).toString('base64');
    const response = await send(new URL('/token', base), {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: ADMIN_SCOPE }),
    });
    const body = (await readJson(response)) as Problem & { access_token?: string };
    if (response.ok && typeof body.access_token === 'string') return body.access_token;
    if (body.error === 'invalid_client') {
      throw new CliError(
        `the admin credentials were refused (invalid_client): check TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET`,
      );
    }
    if (body.error === 'invalid_scope') {
      throw new CliError(`client ${clientId} may not request ${ADMIN_SCOPE} (invalid_scope)`);
    }
    throw new CliError(
      body.error
        ? `the token request was refused: ${body.error}${body.error_description ? ` (${body.error_description})` : ''}`
        : `${base.origin} answered the token request with HTTP ${response.status}; is it Tessera?`,
    );
  };

  return {
    async call(method, path, options = {}) {
      token ??= fetchToken();
      const url = new URL(`/admin/v1${path}`, base);
      for (const [name, value] of Object.entries(options.query ?? {})) {
        if (value !== undefined) url.searchParams.set(name, String(value));
      }
      const headers: Record<string, string> = {
        authorization: `Bearer ${await token}`,
        accept: 'application/json',
      };
      if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
      const init: RequestInit = { method, headers };
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json';
        init.body = JSON.stringify(options.body);
      }
      const response = await send(url, init);
      const body = await readJson(response);
      if (!response.ok) throw problemError(response.status, body as Problem);
      const etag = response.headers.get('etag') ?? undefined;
      if (!options.response) return { body: body as never, etag };
      const parsed = options.response.safeParse(body);
      if (!parsed.success) {
        throw new CliError(
          `unexpected answer from ${base.origin} to ${method} ${path}: is the CLI the same version as the server?`,
        );
      }
      return { body: parsed.data, etag };
    },
  };
}

function parseBaseUrl(value: string): URL {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw usageError(`--url / TESSERA_URL must be an http(s) URL, not "${value}"`);
  }
  return url;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

function problemError(status: number, problem: Problem): CliError {
  const detail = problem.detail ?? problem.error_description ?? problem.error ?? 'request failed';
  const field = problem.field && !detail.includes(problem.field) ? ` [${problem.field}]` : '';
  const code = problem.code ?? problem.error;
  return new CliError(
    `${detail}${field} (HTTP ${status}${code ? ` ${code}` : ''})`,
    EXIT_FAILURE,
    status,
  );
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
