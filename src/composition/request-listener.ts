import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import type { Services } from '../compose-services.ts';
import type { AdminApiDeps } from '../admin/admin-api.ts';
import { createRequestListener } from '../http/create-app.ts';
import type { OutboxReadiness } from '../http/health-routes.ts';
import { createAccountRoutes } from '../interactions/account-routes.ts';
import { createCsrfGuard } from '../interactions/csrf.ts';
import { createInteractionRoutes } from '../interactions/interaction-routes.ts';
import type { ClusterWorkerLink } from '../metrics/cluster-metrics.ts';
import type { TesseraMetrics } from '../metrics/create-metrics.ts';
import type { Storage } from '../ports/storage.ts';
import { createClientCredentialsTokenLookup } from '../provider/client-credentials-token.ts';
import { createLeanClientCredentials } from '../provider/lean-client-credentials.ts';
import { createLeanIntrospection } from '../provider/lean-introspection.ts';
import { firstServing, type LeanEndpoint } from '../provider/lean-provider-routes.ts';
import { createLeanRefreshToken } from '../provider/lean-refresh-token.ts';
import type { HttpComponent, RequestListener } from './http-component.ts';
import type { KeysComponent } from './keys-component.ts';

export interface RequestListenerDeps {
  readonly logger: Logger;
  readonly clock: () => number;
  readonly http: Pick<HttpComponent, 'issuer' | 'isShuttingDown'>;
  readonly storage: Storage;
  readonly services: Services;
  readonly keys: Pick<KeysComponent, 'rotation' | 'admin'>;
  /** The outbox part of /readyz; undefined without a relay in this process. */
  readonly outbox: OutboxReadiness | undefined;
  readonly metrics: TesseraMetrics;
  /** Set in a cluster worker: /metrics then sums every worker's registry. */
  readonly worker: ClusterWorkerLink | undefined;
  /** Serve plain token and introspection requests by the lean paths (false: tests compare without). */
  readonly leanTokenPath: boolean;
}

/** The app the HTTP component serves once everything is built: provider, pages, admin API. */
export function buildRequestListener(config: Config, deps: RequestListenerDeps): RequestListener {
  const { logger, storage, services, metrics } = deps;
  const { issuer } = deps.http;
  const https = issuer.startsWith('https:');
  return createRequestListener({
    logger,
    holder: services.holder,
    storage,
    isShuttingDown: () => deps.http.isShuttingDown(),
    signingKeyProblem: () => deps.keys.rotation.problem(),
    issuer,
    https,
    trustProxy: config.http.trustProxy,
    jwksMaxAge: config.keys.jwksMaxAge,
    metrics,
    metricsText: deps.worker
      ? deps.worker.attachRegistry(metrics.registry)
      : () => metrics.registry.metrics(),
    metricsToken: config.metrics.token,
    pages: services.pageRenderer,
    interactions: hostedPageRoutes(config, services, https),
    admin: adminApiDeps(deps),
    outbox: deps.outbox,
    leanEndpoints: deps.leanTokenPath ? leanEndpointsFor(metrics) : new Map(),
  });
}

/** The lean paths of the token and introspection endpoints (docs/decisions/0008-lean-client-credentials-path.md). */
function leanEndpointsFor(metrics: TesseraMetrics): ReadonlyMap<string, LeanEndpoint> {
  return new Map([
    [
      '/token',
      firstServing(
        createLeanClientCredentials({ onServed: () => metrics.tokens.servedLean('token') }),
        createLeanRefreshToken({ onServed: () => metrics.tokens.servedLean('refresh') }),
      ),
    ],
    [
      '/token/introspection',
      createLeanIntrospection({ onServed: () => metrics.tokens.servedLean('introspection') }),
    ],
  ]);
}

/** The sign-in pages and the account security page, sharing one CSRF guard. */
function hostedPageRoutes(config: Config, services: Services, https: boolean) {
  const csrf = createCsrfGuard({ keys: config.secrets.cookieKeys, https });
  const pages = services.pageRenderer;
  const routes = createInteractionRoutes({
    holder: services.holder,
    accounts: services.accounts,
    pages,
    csrf,
    secondFactor: { factors: services.factors, check: services.secondFactorCheck },
    passkeys: { passkeys: services.passkeys, signIn: services.passkeySignIn },
  });
  const account = createAccountRoutes({
    holder: services.holder,
    accounts: services.accounts,
    factors: services.factors,
    passkeys: services.passkeys,
    pages,
    csrf,
  });
  return routes.use(account.routes());
}

function adminApiDeps(deps: RequestListenerDeps): AdminApiDeps {
  const { services, storage } = deps;
  return {
    issuer: deps.http.issuer,
    clients: services.clients,
    resourceServers: services.resourceServers,
    outbox: storage.outbox,
    accounts: services.accounts,
    factorAdmin: services.factorAdmin,
    signingKeyAdmin: deps.keys.admin,
    lookupToken: createClientCredentialsTokenLookup({ holder: services.holder, clock: deps.clock }),
  };
}
