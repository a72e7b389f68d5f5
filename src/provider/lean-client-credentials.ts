import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParsedUrlQuery } from 'node:querystring';

import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import als from 'oidc-provider/lib/helpers/als.js';
import appendWWWAuthenticate from 'oidc-provider/lib/helpers/append_www_authenticate.js';
import Params from 'oidc-provider/lib/helpers/params.js';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import getErrorHandler from 'oidc-provider/lib/shared/error_handler.js';
import { getClientAuthParams } from 'oidc-provider/lib/shared/client_auth.js';
import { urlencoded } from 'oidc-provider/lib/shared/selective_body.js';

import { recordProviderRoute } from './provider-metrics.ts';

/**
 * The lean client-credentials token path (docs/decisions/0008-lean-client-credentials-path.md):
 * the plain, successful client-credentials request served without oidc-provider's generic
 * per-request pipeline (router, CORS, body and parameter assembly, duplicate checks, client
 * authentication middlewares), but by the provider's own grant handler
 * (lib/actions/grants/client_credentials.js) in a context set up as its token route would
 * (lib/actions/token.js), so the token's format, claims, TTL, signing, stored record, events and
 * response are the library's. Anything else answers `false` before a byte is written: the caller
 * hands the request to oidc-provider, whose answer (every refusal included) stays its own.
 */

type ProviderClient = NonNullable<KoaContextWithOIDC['oidc']['client']>;
type AuthMethod = 'client_secret_basic' | 'client_secret_post';

interface PlainCredentials {
  readonly clientId: string;
  readonly secret: string;
  readonly method: AuthMethod;
}

/** What a plain client-credentials form may hold; any other parameter goes the full way. */
const PLAIN_PARAMETERS = new Set(['grant_type', 'scope', 'resource', 'client_id', 'client_secret']);

/** Headers only the full pipeline answers: DPoP (RFC 9449), CORS, client attestation. */
const PIPELINE_HEADERS = [
  'dpop',
  'origin',
  'oauth-client-attestation',
  'oauth-client-attestation-pop',
] as const;

// lib/helpers/is_valid_scope.js
const SCOPE_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/u;
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
 * The client's credentials when the request is the plain common case: grant_type
 * client_credentials, each parameter once and non-empty, a well-formed scope, exactly one
 * secret-based authentication (RFC 6749 section 2.3.1), no header the pipeline would act on.
 */
export function plainCredentialsOf(
  req: IncomingMessage,
  form: ParsedUrlQuery,
): PlainCredentials | undefined {
  for (const header of PIPELINE_HEADERS) if (req.headers[header] !== undefined) return undefined;
  for (const key in form) {
    const value = form[key];
    if (!PLAIN_PARAMETERS.has(key) || typeof value !== 'string' || value === '') return undefined;
  }
  if (form['grant_type'] !== 'client_credentials') return undefined;
  const { scope, client_id: clientId, client_secret: postedSecret } = form;
  if (scope !== undefined && !SCOPE_SYNTAX.test(scope as string)) return undefined;

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

/** What serving the token route takes, per provider instance. */
interface LeanRoute {
  readonly handler: (ctx: unknown) => Promise<void>;
  readonly allowList: ReadonlySet<string>;
  /** lib/actions/token.js stripGrantIrrelevantParams keeps these. */
  readonly kept: ReadonlySet<string>;
  readonly exposeHeaders: string;
  readonly handleErrors: (ctx: unknown, next: () => Promise<void>) => Promise<void>;
  /** The token route's path (configuration.routes.token). */
  readonly path: string;
}

function leanRouteOf(provider: Provider): LeanRoute | undefined {
  const state = instance(provider);
  const { features } = state;
  // Features that add steps to this grant the lean path does not take.
  if (
    features['attestClientAuth']?.enabled ||
    features['mTLS']?.enabled ||
    features['fapi']?.enabled ||
    features['richAuthorizationRequests']?.enabled
  ) {
    return undefined;
  }
  const handler = state.grantTypeHandlers.get('client_credentials');
  const grantParams = state.grantTypeParams.get('client_credentials');
  const allParams = state.grantTypeParams.get(undefined);
  if (!handler || !grantParams || !allParams) return undefined;
  const authParams = getClientAuthParams({ oidc: { provider } });
  const dPoP = features['dPoP'];
  return {
    handler,
    allowList: new Set([...allParams, ...authParams]),
    kept: new Set([...authParams, ...grantParams]),
    // lib/helpers/initialize_app.js exposeHeaders(), CORS.clientWithDPoP
    exposeHeaders: [
      dPoP?.enabled && dPoP['nonceSecret'] ? 'DPoP-Nonce' : undefined,
      'WWW-Authenticate',
    ]
      .filter(Boolean)
      .join(','),
    handleErrors: getErrorHandler('grant.error'),
    path: state.configuration.routes['token'] ?? '/token',
  };
}

/**
 * The client, when `credentials` authenticate it as lib/shared/client_auth.js would and it may
 * use the grant; undefined for anything else, a store failure included (the full pipeline then
 * answers it its own way).
 */
async function authenticatedClient(
  provider: Provider,
  credentials: PlainCredentials,
): Promise<ProviderClient | undefined> {
  try {
    const client = await provider.Client.find(credentials.clientId);
    if (
      !client ||
      client.clientAuthMethod !== credentials.method ||
      !client.grantTypeAllowed('client_credentials')
    ) {
      return undefined;
    }
    // Throws for an expired secret (lib/models/client.js), as client_auth.js checks first.
    (
      client as unknown as { checkClientSecretExpiration(message: string): void }
    ).checkClientSecretExpiration('expired');
    return (await client.compareClientSecret(credentials.secret)) ? client : undefined;
  } catch {
    return undefined;
  }
}

type LeanContext = KoaContextWithOIDC & Record<string, unknown>;

/** The headers runTokenRoute sets before the grant runs. */
const ROUTE_HEADERS = [
  'vary',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'cache-control',
] as const;

/**
 * The token route's middleware stack from the body on, for an authenticated client (lib/actions/
 * token.js): the route's own error handler, CORS and no-store headers, the parameters as
 * assembled and stripped there, the client, the grant handler, `grant.success`.
 *
 * A protocol refusal the grant raises before the token is saved (invalid_scope, invalid_target,
 * a resource server's require_dpop, a store outage while reading a resource server) is not
 * answered here: the headers set are removed, Koa is told not to respond, and `handBack` is
 * called, so that oidc-provider answers the whole request itself. Only a failure once the token
 * is being saved is rendered here, by the route's own error handler.
 */
function runTokenRoute(
  provider: Provider,
  route: LeanRoute,
  form: ParsedUrlQuery,
  client: ProviderClient,
  handBack: () => void,
) {
  return (ctx: LeanContext) =>
    route.handleErrors(ctx, async () => {
      // lib/shared/cors.js without an Origin header, then lib/shared/no_cache.js.
      ctx.vary('Origin');
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.set('Access-Control-Expose-Headers', route.exposeHeaders);
      ctx.set('cache-control', 'no-store');
      const oidc = ctx.oidc as unknown as Record<string, unknown>;
      oidc['body'] = form;
      const params = new Params(route.allowList, form) as Record<string, unknown>;
      for (const key of Object.keys(params)) if (!route.kept.has(key)) delete params[key];
      oidc['params'] = params;
      try {
        ctx.oidc.entity('Client', client);
        await route.handler(ctx);
      } catch (error) {
        const { entities } = ctx.oidc as unknown as { entities: Record<string, unknown> };
        if (
          error instanceof errors.OIDCProviderError &&
          entities['ClientCredentials'] === undefined
        ) {
          for (const header of ROUTE_HEADERS) ctx.res.removeHeader(header);
          ctx.respond = false;
          handBack();
          return;
        }
        // lib/shared/client_auth.js setWWWAuthenticateHeader wraps the rest of the route.
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
        throw error;
      }
      provider.emit('grant.success', ctx);
    });
}

/**
 * selective_body.js warns once per process when it is handed a body read upstream, a notice
 * meant for apps that put their own parser in front. The fast path hands over the raw bytes it
 * read, which oidc-provider then parses itself, so the notice does not apply: it is given here,
 * once, to no one, by one synchronous pass through that branch.
 */
function acknowledgeHandedOverBodies(): void {
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

export type LeanClientCredentials = (
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  form: ParsedUrlQuery,
) => Promise<boolean>;

/**
 * Serves `form` (the urlencoded body of POST /token, already read) when it is a plain
 * client-credentials request of a client that authenticates; resolves false, having written
 * nothing, for anything else. `onServed` counts the requests it answered.
 */
export function createLeanClientCredentials(deps: {
  readonly onServed: () => void;
}): LeanClientCredentials {
  acknowledgeHandedOverBodies();
  const routes = new WeakMap<Provider, LeanRoute | null>();
  return async (provider, req, res, form) => {
    const credentials = plainCredentialsOf(req, form);
    if (!credentials) return false;
    let route = routes.get(provider);
    if (route === undefined) {
      route = leanRouteOf(provider) ?? null;
      routes.set(provider, route);
    }
    if (!route || req.method !== 'POST' || req.url !== route.path) return false;
    const ctx = provider.createContext(req, res) as unknown as LeanContext;
    // What lib/helpers/router.js sets on a match, then initialize_app.js ensureOIDC.
    ctx['params'] = {};
    ctx['routerName'] = ctx['_matchedRouteName'] = 'token';
    ctx['routerPath'] = ctx['_matchedRoute'] = route.path;
    const { OIDCContext } = provider as unknown as { OIDCContext: new (ctx: unknown) => unknown };
    Object.defineProperty(ctx, 'oidc', { value: new OIDCContext(ctx) });
    const leanRoute = route;
    return als.run(ctx, async () => {
      const client = await authenticatedClient(provider, credentials);
      if (!client) return false;
      const handleRequest = (
        provider as unknown as {
          handleRequest(ctx: unknown, fn: (ctx: LeanContext) => Promise<void>): Promise<void>;
        }
      ).handleRequest.bind(provider);
      // What provider-metrics.ts records from the router's match, for the access line.
      recordProviderRoute(req, leanRoute.path);
      let handedBack = false;
      const handBack = () => {
        handedBack = true;
      };
      await handleRequest(ctx, runTokenRoute(provider, leanRoute, form, client, handBack));
      if (handedBack) {
        // Koa's handleRequest set 404 before the route ran; nothing was written.
        res.statusCode = 200;
        return false;
      }
      deps.onServed();
      return true;
    });
  };
}
