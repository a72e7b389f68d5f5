import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { ProviderHolder } from '../provider/provider-holder.ts';
import { sourceOf } from './content-security-policy.ts';
import type { CsrfGuard } from './csrf.ts';
import { readForm } from './form-body.ts';
import { selectMessages, type Messages } from './messages/catalog.ts';
import { PageError } from './page-failure.ts';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;
type Client = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

/** What a hosted page's request loads first: the interaction its cookie names, and its client. */
export interface Loaded {
  readonly provider: Provider;
  readonly interaction: Interaction;
  readonly client: Client;
  readonly messages: Messages;
}

/**
 * What the hosted pages' steps share: interaction-routes.ts, second-factor-step.ts and
 * passkey-step.ts.
 */
export interface InteractionTools {
  load(ctx: Context): Promise<{
    provider: Provider;
    interaction: Interaction;
    client: { clientId: string };
    messages: Messages;
  }>;
  loadSubmission(ctx: Context): Promise<{
    form: Record<string, string | undefined>;
    loaded: Awaited<ReturnType<InteractionTools['load']>>;
  }>;
  finish(
    ctx: Context,
    interaction: Interaction,
    result: InteractionResults,
    merge: boolean,
  ): Promise<void>;
  formActionOf(loaded: { interaction: Interaction }): string[];
}

export interface InteractionToolDeps {
  readonly holder: ProviderHolder;
  readonly csrf: CsrfGuard;
}

/**
 * Loading an interaction, checking a submitted form, and handing a result back: what every
 * hosted page (oidc-provider docs "User flows") does around its own step.
 */
export function createInteractionTools(deps: InteractionToolDeps) {
  const { csrf } = deps;

  async function load(ctx: Context): Promise<Loaded> {
    const { provider } = deps.holder.current();
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    // The interaction comes from the cookie; the URL must name the same one.
    if (interaction.uid !== (ctx.params as { uid?: string }).uid)
      throw new errors.SessionNotFound('interaction mismatch');
    const client = await provider.Client.find(String(interaction.params.client_id));
    if (!client) throw new errors.SessionNotFound('client no longer exists');
    const messages = selectMessages(
      interaction.params.ui_locales as string | undefined,
      ctx.get('accept-language'),
    );
    return { provider, interaction, client, messages };
  }

  /** The application's redirect origin: the sign-in POST's redirect chain ends there. */
  const formActionOf = ({ interaction }: { interaction: Interaction }) => {
    const redirect = sourceOf(interaction.params.redirect_uri as string | undefined);
    return redirect ? [redirect] : [];
  };

  /** Reads the form and checks its CSRF token before anything else happens. */
  async function loadSubmission(ctx: Context) {
    const form = await readForm(ctx);
    const loaded = await load(ctx);
    if (!csrf.verify(ctx, loaded.interaction.uid, form.csrf)) {
      throw new PageError(403, 'csrf_failed');
    }
    return { form, loaded };
  }

  /**
   * Hands the result back on the interaction this request already loaded (and checked, with its
   * session: provider.interactionDetails), as provider.interactionResult does
   * (node_modules/oidc-provider/lib/provider.js): merge with the last submission unless asked
   * not to or an error, save for the rest of its lifetime, go back to returnTo. Calling
   * interactionResult instead would read the interaction and its session again, two store round
   * trips for what this request already holds (docs/benchmarks.md); the resume that follows
   * checks both again anyway (lib/actions/authorization/resume.js).
   */
  const finish = async (
    ctx: Context,
    interaction: Interaction,
    result: InteractionResults,
    merge: boolean,
  ) => {
    interaction.result =
      merge && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result;
    await interaction.persist();
    ctx.status = 303;
    ctx.redirect(interaction.returnTo);
  };

  return { load, loadSubmission, finish, formActionOf } satisfies InteractionTools;
}
