import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';

import { sourceOf } from './content-security-policy.ts';
import { errorFlowOf, errorPage } from './error-messages.ts';
import { selectMessages } from './messages/catalog.ts';
import type { PageRenderer } from './page-renderer.ts';

/** The pages oidc-provider renders itself, in Tessera's look (its renderError and logout hooks). */
export interface ProviderPages {
  readonly renderError: (ctx: KoaContextWithOIDC, out: ErrorOut, error: Error) => Promise<void>;
  readonly logoutSource: (ctx: KoaContextWithOIDC, form: string) => Promise<void>;
  readonly postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => Promise<void>;
}

const messagesOf = (ctx: KoaContextWithOIDC) =>
  selectMessages(
    // oidc may be absent when the request failed before oidc-provider set up its context.
    (ctx.oidc?.params?.ui_locales as string | undefined) ?? undefined,
    ctx.get('accept-language'),
  );

const clientNameOf = (ctx: KoaContextWithOIDC) =>
  ctx.oidc?.client ? (ctx.oidc.client.clientName ?? ctx.oidc.client.clientId) : undefined;

export function createProviderPages(renderer: PageRenderer): ProviderPages {
  return {
    async renderError(ctx, out, error) {
      renderer.render(
        ctx,
        errorPage(messagesOf(ctx), {
          code: out.error,
          status: ctx.status >= 400 ? ctx.status : 500,
          sessionNotFound: error.name === 'SessionNotFound',
          requestId: ctx.response.get('x-request-id') || undefined,
          flow: errorFlowOf(ctx.path),
          description: out.error_description,
        }),
      );
    },

    async logoutSource(ctx, form) {
      const redirect = sourceOf(ctx.oidc.params?.post_logout_redirect_uri as string | undefined);
      renderer.render(ctx, {
        view: 'logout',
        status: 200,
        messages: messagesOf(ctx),
        // The confirmation posts to /session/end/confirm, which redirects to the client.
        formAction: redirect ? [redirect] : [],
        data: { clientName: clientNameOf(ctx), providerForm: form },
      });
    },

    async postLogoutSuccessSource(ctx) {
      renderer.render(ctx, {
        view: 'logged-out',
        status: 200,
        messages: messagesOf(ctx),
        formAction: 'none',
        data: { clientName: clientNameOf(ctx) },
      });
    },
  };
}
