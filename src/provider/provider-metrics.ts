import type { IncomingMessage } from 'node:http';

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { TokenMetrics } from '../metrics/create-metrics.ts';

const PROVIDER_ROUTE = Symbol('tessera.providerRoute');

type TaggedRequest = IncomingMessage & { [PROVIDER_ROUTE]?: string };

/**
 * Grant types a label may name (RFC 6749, RFC 8628, OIDC CIBA, RFC 8693, RFC 7523). `grant_type`
 * is client input and oidc-provider reports refusals of unsupported ones too: anything else is
 * `other`, so a client cannot mint label values.
 */
const KNOWN_GRANT_TYPES = new Set([
  'authorization_code',
  'client_credentials',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
]);

/**
 * Records token issuance from oidc-provider's events (docs/events.md: `grant.success` after the
 * token endpoint answered, `grant.error` for each handled refusal), and tags each request with
 * the route template oidc-provider's router matched (lib/helpers/router.js sets
 * `ctx._matchedRoute`), so the HTTP metrics can label provider routes without raw paths.
 */
export function installProviderMetrics(provider: Provider, tokens: TokenMetrics): void {
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      if (typeof route === 'string') recordProviderRoute(ctx.req, route);
    }
  });
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    tokens.issued(grantTypeLabel(ctx));
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error?: unknown }) => {
    tokens.refused(grantTypeLabel(ctx), errorLabel(error.error));
  });
}

/** Tags `req` with the route template it is served by (the lean token path has no router). */
export function recordProviderRoute(req: IncomingMessage, route: string): void {
  (req as TaggedRequest)[PROVIDER_ROUTE] = route;
}

/** The route template oidc-provider served this request with, once it has handled it. */
export function providerRouteOf(req: IncomingMessage): string | undefined {
  return (req as TaggedRequest)[PROVIDER_ROUTE];
}

function grantTypeLabel(ctx: KoaContextWithOIDC): string {
  const grantType = (ctx.oidc?.params as { grant_type?: unknown } | undefined)?.grant_type;
  if (grantType === undefined) return 'none';
  return typeof grantType === 'string' && KNOWN_GRANT_TYPES.has(grantType) ? grantType : 'other';
}

/** OAuth error codes come from oidc-provider's error classes; guard the shape all the same. */
function errorLabel(error: unknown): string {
  return typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? error : 'other';
}
