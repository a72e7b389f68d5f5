import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';

import type { SigningKeyAdmin } from '../services/signing-key-admin.ts';
import { assertMethodAllowed } from '../http/method-not-allowed.ts';
import type { OutboxStore } from '../ports/outbox.ts';
import type { ClientCredentialsTokenLookup } from '../provider/client-credentials-token.ts';
import { AppError } from '../services/app-error.ts';
import type { AccountService } from '../services/account-service.ts';
import type { ClientService } from '../services/client-service.ts';
import type { FactorAdmin } from '../services/factors/factor-admin.ts';
import type { ResourceServerService } from '../services/resource-server-service.ts';
import { requireAdminToken } from './admin-auth.ts';
import { mountRoutes, type AdminRoute } from './admin-route.ts';
import { createClientRoutes } from './client-routes.ts';
import { createClientSecretRoutes } from './client-secret-routes.ts';
import { createEventRoutes } from './event-routes.ts';
import { createKeyRoutes } from './key-routes.ts';
import { buildOpenApiDocument } from './openapi-document.ts';
import { createResourceServerRoutes } from './resource-server-routes.ts';
import { createUserFactorRoutes } from './user-factor-routes.ts';
import { createUserRoutes } from './user-routes.ts';

export const ADMIN_PREFIX = '/admin/v1';

export interface AdminApiDeps {
  readonly issuer: string;
  readonly clients: ClientService;
  readonly resourceServers: ResourceServerService;
  readonly outbox: OutboxStore;
  readonly accounts: AccountService;
  readonly factorAdmin: FactorAdmin;
  readonly signingKeyAdmin: SigningKeyAdmin;
  readonly lookupToken: ClientCredentialsTokenLookup;
}

/** Every admin operation, one module per resource. */
export function createAdminRoutes(deps: AdminApiDeps): AdminRoute[] {
  return [
    ...createClientRoutes(deps.clients),
    ...createClientSecretRoutes(deps.clients),
    ...createResourceServerRoutes(deps.resourceServers),
    ...createUserRoutes(deps.accounts),
    ...createUserFactorRoutes(deps.factorAdmin),
    ...createKeyRoutes(deps.signingKeyAdmin),
    ...createEventRoutes(deps.outbox),
  ];
}

/**
 * The admin API under /admin/v1 as one middleware: the OpenAPI document (public: it describes,
 * it reveals nothing), then bearer-token authentication, then the routes. Requests under the
 * prefix never fall through to oidc-provider: unknown paths are 404, wrong methods 405.
 */
export function createAdminApi(deps: AdminApiDeps): Middleware {
  const routes = createAdminRoutes(deps);
  // Rendered at its first request, not at start: turning every schema into JSON Schema costs
  // start-up time and memory that a replica nobody asks for the document never needs.
  let openApi: string | undefined;

  const router = new Router({ prefix: ADMIN_PREFIX });
  mountRoutes(router, routes);

  const authenticate = requireAdminToken(deps.lookupToken);
  const dispatch = router.routes() as Middleware;

  return async function adminApiMiddleware(ctx: Context, next: Next) {
    if (ctx.path !== ADMIN_PREFIX && !ctx.path.startsWith(`${ADMIN_PREFIX}/`)) {
      await next();
      return;
    }
    // Admin responses carry client metadata and one-time secrets: never cache them.
    ctx.set('cache-control', 'no-store');
    if (ctx.path === `${ADMIN_PREFIX}/openapi.json` && ctx.method === 'GET') {
      ctx.type = 'application/json';
      openApi ??= JSON.stringify(buildOpenApiDocument(routes, deps.issuer));
      ctx.body = openApi;
      return;
    }
    await authenticate(ctx, async () => {
      await dispatch(ctx, () => answerUnmatched(ctx));
    });
  };
}

async function answerUnmatched(ctx: Context): Promise<void> {
  assertMethodAllowed(ctx);
  throw new AppError('not_found', `no admin operation at ${ctx.path}`);
}
