import type { IncomingHttpHeaders } from 'node:http';

import type { Context, Middleware, Next } from 'koa';

import { errorFlowOf, errorPage } from './error-messages.ts';
import { selectMessages } from './messages/catalog.ts';
import type { PageRenderer } from './page-renderer.ts';

/**
 * The POST handlers that act on the browser's session and are only ever the target of
 * Tessera's own forms: the sign-in, consent and cancel forms (/interaction/<uid>/…) and the
 * sign-out confirmation (/session/end/confirm, oidc-provider's, whose form Tessera renders), and
 * the account security page's forms (/account/…).
 * Not /auth nor /session/end, which applications post to from their own sites (OIDC Core 1.0
 * section 3.1.2.1, RP-Initiated Logout 1.0 section 2). Matched in any case and with a trailing
 * slash, as both routers match.
 */
function takesOnlyOwnForms(path: string): boolean {
  const lower = path.toLowerCase();
  return (
    lower.startsWith('/interaction/') ||
    lower.startsWith('/account/') ||
    /^\/session\/end\/confirm\/?$/.test(lower)
  );
}

/**
 * Whether the browser says this request comes from a page of another origin than the issuer's.
 * Sec-Fetch-Site (W3C Fetch Metadata Request Headers, `Sec-Fetch-Site`) when sent: only
 * `same-origin`, and `none` (the person's own action, never a page's) pass; `same-site` (a
 * sibling subdomain) does not. Otherwise Origin (RFC 6454 section 7; the Fetch standard sends
 * it on every POST), which must be the issuer's: `null` (sandboxed or opaque pages) does not
 * pass. A request with neither is not a modern browser's; its form's CSRF token still has to be
 * right.
 */
function comesFromAnotherOrigin(headers: IncomingHttpHeaders, issuerOrigin: string): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = headers.origin;
  return origin !== undefined && origin !== issuerOrigin;
}

/**
 * SameSite=None on the session cookie (src/provider/provider-cookies.ts) lets a cross-site
 * POST carry it; Lax used to keep it off every other site's form posts. This restores that for
 * the handlers above, in front of their CSRF tokens (csrf.ts, oidc-provider's xsrf): a
 * cross-origin POST to them is refused with a 403 error page before anything reads it.
 */
export function refuseCrossOriginPosts(options: {
  readonly issuer: string;
  readonly pages: PageRenderer;
}): Middleware {
  const issuerOrigin = new URL(options.issuer).origin;
  return async function refuseCrossOriginPostsMiddleware(ctx: Context, next: Next) {
    if (
      ctx.method !== 'POST' ||
      !takesOnlyOwnForms(ctx.path) ||
      !comesFromAnotherOrigin(ctx.headers, issuerOrigin)
    ) {
      await next();
      return;
    }
    ctx.state.log.info(
      {
        origin: ctx.get('origin') || undefined,
        secFetchSite: ctx.get('sec-fetch-site') || undefined,
      },
      'cross-origin form post refused',
    );
    options.pages.render(
      ctx,
      errorPage(selectMessages(undefined, ctx.get('accept-language')), {
        code: 'cross_site_request',
        status: 403,
        sessionNotFound: false,
        requestId: ctx.state.requestId,
        flow: errorFlowOf(ctx.path),
      }),
    );
  };
}
