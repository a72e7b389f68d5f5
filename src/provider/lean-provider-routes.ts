import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParsedUrlQuery } from 'node:querystring';

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import appendWWWAuthenticate from 'oidc-provider/lib/helpers/append_www_authenticate.js';
import { urlencoded } from 'oidc-provider/lib/shared/selective_body.js';

/**
 * What the lean paths (lean-client-credentials.ts, lean-introspection.ts;
 * docs/decisions/0008-lean-client-credentials-path.md) share: recognising a plain secret-based
 * client authentication, checking it as oidc-provider would, and setting up a provider context
 * as its router would for a route, so that oidc-provider's own route logic can run in it.
 */

/** Serves a request whose urlencoded body was read, or resolves false having written nothing. */
export type LeanEndpoint = (
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  form: ParsedUrlQuery,
) => Promise<boolean>;

export type ProviderClient = NonNullable<KoaContextWithOIDC['oidc']['client']>;
export type LeanContext = KoaContextWithOIDC & Record<string, unknown>;

export interface SecretCredentials {
  readonly clientId: string;
  readonly secret: string;
  readonly method: 'client_secret_basic' | 'client_secret_post';
}

/** Headers only the full pipeline answers: DPoP (RFC 9449), CORS, client attestation. */
const PIPELINE_HEADERS = [
  'dpop',
  'origin',
  'oauth-client-attestation',
  'oauth-client-attestation-pop',
] as const;

// Stricter than lib/shared/client_auth.js isValidBase64: whole quanta only.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// lib/consts/client_attributes.js noVSCHAR
const NOT_VSCHAR = /[^\x20-\x7E]/;

/** lib/shared/client_auth.js decodeAuthToken, undefined where it would throw. */
function decodeAuthToken(token: string): string | undefined {
  try {
    const decoded = decodeURIComponent(token.replace(/\+/g, '%20'));
    return NOT_VSCHAR.test(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** The Basic credentials of lib/shared/client_auth.js, when they parse cleanly. */
function basicCredentials(header: string): { clientId: string; secret: string } | undefined {
  const parts = header.split(' ');
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'basic') return undefined;
  const encoded = parts[1] ?? '';
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return undefined;
  const basic = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = basic.indexOf(':');
  if (colon === -1) return undefined;
  const clientId = decodeAuthToken(basic.slice(0, colon));
  const secret = decodeAuthToken(basic.slice(colon + 1));
  return clientId && secret ? { clientId, secret } : undefined;
}

/**
 * The client's credentials when the request is plain: only `parameters`, each once and
 * non-empty; exactly one secret-based authentication (RFC 6749 section 2.3.1), HTTP Basic or a
 * posted secret with its client_id; no header the pipeline would act on.
 */
export function secretCredentialsOf(
  req: IncomingMessage,
  form: ParsedUrlQuery,
  parameters: ReadonlySet<string>,
): SecretCredentials | undefined {
  for (const header of PIPELINE_HEADERS) if (req.headers[header] !== undefined) return undefined;
  for (const key in form) {
    const value = form[key];
    if (!parameters.has(key) || typeof value !== 'string' || value === '') return undefined;
  }
  const { client_id: clientId, client_secret: postedSecret } = form;
  const { authorization } = req.headers;
  if (typeof postedSecret === 'string') {
    if (authorization !== undefined || typeof clientId !== 'string') return undefined;
    return { clientId, secret: postedSecret, method: 'client_secret_post' };
  }
  if (authorization === undefined) return undefined;
  const basic = basicCredentials(authorization);
  if (!basic || (clientId !== undefined && clientId !== basic.clientId)) return undefined;
  return { ...basic, method: 'client_secret_basic' };
}

/**
 * The client, when `credentials` authenticate it as lib/shared/client_auth.js would: registered
 * for that method, secret unexpired and matching (Tessera's HMAC comparison,
 * client-authentication.ts); undefined for anything else, a store failure included (the full
 * pipeline then answers it its own way).
 */
export async function authenticatedClient(
  provider: Provider,
  credentials: SecretCredentials,
): Promise<ProviderClient | undefined> {
  try {
    const client = await provider.Client.find(credentials.clientId);
    if (!client || client.clientAuthMethod !== credentials.method) return undefined;
    // Throws for an expired secret (lib/models/client.js), as client_auth.js checks first.
    (
      client as unknown as { checkClientSecretExpiration(message: string): void }
    ).checkClientSecretExpiration('expired');
    return (await client.compareClientSecret(credentials.secret)) ? client : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A provider context for `req` as lib/helpers/router.js leaves it on a match of route `name` at
 * `path`, with `ctx.oidc` as initialize_app.js ensureOIDC provides it.
 */
export function createRouteContext(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  path: string,
): LeanContext {
  const ctx = provider.createContext(req, res) as unknown as LeanContext;
  ctx['params'] = {};
  ctx['routerName'] = ctx['_matchedRouteName'] = name;
  ctx['routerPath'] = ctx['_matchedRoute'] = path;
  const { OIDCContext } = provider as unknown as { OIDCContext: new (ctx: unknown) => unknown };
  Object.defineProperty(ctx, 'oidc', { value: new OIDCContext(ctx) });
  return ctx;
}

/** Runs `route` on `ctx` and responds as the provider's Koa application does (koa handleRequest). */
export function respondInRoute(
  provider: Provider,
  ctx: LeanContext,
  route: (ctx: LeanContext) => Promise<void>,
): Promise<void> {
  const app = provider as unknown as {
    handleRequest(ctx: unknown, fn: (ctx: LeanContext) => Promise<void>): Promise<void>;
  };
  return app.handleRequest(ctx, route);
}

/** The headers setRouteHeaders sets. */
const ROUTE_HEADERS = [
  'vary',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'cache-control',
] as const;

/** lib/shared/cors.js for a request without Origin, then lib/shared/no_cache.js. */
export function setRouteHeaders(ctx: LeanContext, exposeHeaders: string): void {
  ctx.vary('Origin');
  ctx.set('Access-Control-Allow-Origin', '*');
  ctx.set('Access-Control-Expose-Headers', exposeHeaders);
  ctx.set('cache-control', 'no-store');
}

export function removeRouteHeaders(res: ServerResponse): void {
  for (const header of ROUTE_HEADERS) res.removeHeader(header);
}

/** lib/helpers/initialize_app.js exposeHeaders() for the CORS of a client endpoint. */
export function exposedHeadersOf(
  features: Record<string, { enabled?: boolean } & Record<string, unknown>>,
  { dpop }: { dpop: boolean },
): string {
  const dPoP = features['dPoP'];
  return [
    dpop && dPoP?.enabled && dPoP['nonceSecret'] ? 'DPoP-Nonce' : undefined,
    'WWW-Authenticate',
  ]
    .filter(Boolean)
    .join(',');
}

/** lib/shared/client_auth.js setWWWAuthenticateHeader, which wraps the rest of a route. */
export function challengeBasic(provider: Provider, ctx: LeanContext, error: unknown): void {
  const {
    statusCode,
    message,
    error_description: description,
  } = error as {
    statusCode?: number;
    message: string;
    error_description?: string;
  };
  if (statusCode === 401 && ctx.headers.authorization !== undefined) {
    appendWWWAuthenticate(ctx, 'Basic', {
      realm: provider.issuer,
      error: message,
      error_description: description,
    });
  }
}

/**
 * selective_body.js warns once per process when it is handed a body read upstream, a notice
 * meant for apps that put their own parser in front. The fast path hands over the raw bytes it
 * read, which oidc-provider then parses itself, so the notice does not apply: it is given here,
 * once, to no one, by one synchronous pass through that branch.
 */
export function acknowledgeHandedOverBodies(): void {
  /* eslint-disable no-console -- oidc-provider's notice goes to console.warn (lib/helpers/attention.js) */
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    const ctx = { method: 'POST', is: () => true, req: { readable: false, body: '' }, oidc: {} };
    void urlencoded(ctx, () => Promise.resolve()).catch(() => undefined);
  } finally {
    console.warn = warn;
  }
  /* eslint-enable no-console */
}

/**
 * Features that add steps to client authentication or to the request the lean paths do not
 * take (client attestation, mTLS, FAPI, rich authorization requests): with any enabled, every
 * request goes the full way.
 */
export function hasFeaturesLeanPathsSkip(
  features: Record<string, { enabled?: boolean } & Record<string, unknown>>,
): boolean {
  return ['attestClientAuth', 'mTLS', 'fapi', 'richAuthorizationRequests'].some(
    (name) => features[name]?.enabled === true,
  );
}

/**
 * `build`'s answer per provider instance, worked out once (a key rotation makes a new
 * instance); null when the instance cannot be served leanly.
 */
export function perProvider<Route>(
  build: (provider: Provider) => Route | undefined,
): (provider: Provider) => Route | null {
  const routes = new WeakMap<Provider, Route | null>();
  return (provider) => {
    let route = routes.get(provider);
    if (route === undefined) {
      route = build(provider) ?? null;
      routes.set(provider, route);
    }
    return route;
  };
}

/**
 * The lean paths of one endpoint (client credentials and refresh at /token) as one: the first
 * that serves the request answers it. Each declines on its own grant type first, having
 * written nothing, so the next one (or oidc-provider) gets the request untouched.
 */
export function firstServing(...endpoints: readonly LeanEndpoint[]): LeanEndpoint {
  return async (provider, req, res, form) => {
    for (const endpoint of endpoints) {
      if (await endpoint(provider, req, res, form)) return true;
    }
    return false;
  };
}
