/**
 * The few oidc-provider modules the lean client-credentials path (lean-client-credentials.ts)
 * runs directly, typed as far as it uses them. oidc-provider has no `exports` map, so these
 * paths resolve to the very modules its own pipeline imports (one instance each). Pinned by
 * package-lock; the differential test (test/protocol/lean-client-credentials.test.ts) fails if
 * an upgrade changes what they do.
 */

declare module 'oidc-provider/lib/helpers/als.js' {
  import type { AsyncLocalStorage } from 'node:async_hooks';

  /** The store behind `Provider.ctx` (lib/helpers/initialize_app.js runs every route in it). */
  const als: AsyncLocalStorage<unknown>;
  export default als;
}

declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  /** A provider's private state (lib/provider.js `#int`). */
  export default function instance(provider: object): {
    readonly grantTypeHandlers: Map<string, (ctx: unknown) => Promise<void>>;
    readonly grantTypeParams: Map<string | undefined, Set<string>>;
    readonly features: Record<string, { enabled?: boolean } & Record<string, unknown>>;
    readonly configuration: {
      readonly clientAuthMethods: readonly string[];
      readonly routes: Readonly<Record<string, string>>;
    };
  };
}

declare module 'oidc-provider/lib/helpers/params.js' {
  /** `ctx.oidc.params` (lib/shared/assemble_params.js). */
  export default class Params {
    constructor(allowList: ReadonlySet<string>, params: Record<string, unknown>);
  }
}

declare module 'oidc-provider/lib/shared/error_handler.js' {
  /** The error handler each route starts with (lib/helpers/initialize_app.js). */
  export default function getErrorHandler(
    eventName: string,
  ): (ctx: unknown, next: () => Promise<void>) => Promise<void>;
}

declare module 'oidc-provider/lib/helpers/append_www_authenticate.js' {
  export default function appendWWWAuthenticate(
    ctx: unknown,
    scheme: string,
    fields: Record<string, string | undefined>,
  ): void;
}

declare module 'oidc-provider/lib/shared/client_auth.js' {
  /** The client authentication parameters the configured methods use. */
  export function getClientAuthParams(ctx: { oidc: { provider: object } }): Set<string>;
}

declare module 'oidc-provider/lib/shared/selective_body.js' {
  export function urlencoded(ctx: object, next: () => Promise<void>): Promise<void>;
}

declare module 'oidc-provider/lib/actions/introspection.js' {
  /** The introspection route's middleware, in order; the last is `renderTokenResponse`. */
  const route: ((ctx: unknown, next?: () => Promise<void>) => Promise<void>)[];
  export default route;
}
