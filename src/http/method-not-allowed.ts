import type { Context, Middleware, Next } from 'koa';

import { AppError } from '../services/app-error.ts';

/**
 * The methods of the `@koa/router` routes whose path matched this request (routers record
 * them in `ctx.matched` whether or not the method did), HEAD left implied by GET.
 */
function methodsMatchedByPath(ctx: Context): string[] {
  const layers = (ctx.matched ?? []) as { methods: string[] }[];
  return [...new Set(layers.flatMap((layer) => layer.methods))].filter(
    (method) => method !== 'HEAD',
  );
}

/**
 * When a `@koa/router` route serves this request's path but not its method: Allow set and a 405
 * problem+json thrown (RFC 9110 section 15.5.6). Returns for a path no route serves.
 */
export function assertMethodAllowed(ctx: Context): void {
  const allowed = methodsMatchedByPath(ctx);
  if (allowed.length === 0) return;
  ctx.set('allow', allowed.join(', '));
  throw new AppError('method_not_allowed', `${ctx.method} is not allowed here`);
}

/**
 * After Tessera's own routers: a request whose path one of them serves, with a method none
 * does, is 405 problem+json with Allow. `@koa/router`'s own allowedMethods answers an empty text
 * body instead, and 501 for methods it does not know.
 */
export function refuseOtherMethods(): Middleware {
  return async function refuseOtherMethodsMiddleware(ctx: Context, next: Next) {
    assertMethodAllowed(ctx);
    await next();
  };
}
