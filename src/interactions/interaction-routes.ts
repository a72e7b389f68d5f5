import Router from '@koa/router';
import type { Context } from 'koa';
import { errors } from 'oidc-provider';

import { STEP_UP_REASON } from '../provider/acr-step-up.ts';
import type { ProviderHolder } from '../provider/provider-holder.ts';
import type { AccountService } from '../services/account-service.ts';
import { achievedContext } from '../services/authentication-context.ts';
import type { LoginResult } from '../services/authenticator.ts';
import { applyConsent, describePermissions } from './consent.ts';
import type { CsrfGuard } from './csrf.ts';
import { createInteractionTools, type Loaded } from './interaction-tools.ts';
import type { Messages } from './messages/catalog.ts';
import { passkeyStep, type PasskeyStepDeps } from './passkey-step.ts';
import {
  holdForSecondFactor,
  pendingSecondFactorOf,
  secondFactorStep,
  type SecondFactorStepDeps,
} from './second-factor-step.ts';
import { STYLESHEET_ROUTE, type PageRenderer } from './page-renderer.ts';
import { PageError, renderFailure } from './page-failure.ts';

export interface InteractionRouteDeps {
  readonly holder: ProviderHolder;
  readonly accounts: AccountService;
  readonly pages: PageRenderer;
  readonly csrf: CsrfGuard;
  /** The second step of a password sign-in, for accounts with a second factor. */
  readonly secondFactor: Omit<SecondFactorStepDeps, 'pages' | 'csrf'>;
  /** Passkey sign-in, alone or as the second factor. */
  readonly passkeys: PasskeyStepDeps;
}

const urls = (uid: string) => ({
  loginAction: `/interaction/${uid}/login`,
  confirmAction: `/interaction/${uid}/confirm`,
  abortAction: `/interaction/${uid}/abort`,
  passkeyOptionsAction: `/interaction/${uid}/passkey/options`,
  passkeyAction: `/interaction/${uid}/passkey`,
});

/**
 * The hosted sign-in and consent pages (oidc-provider docs "User flows"): oidc-provider sends
 * the browser to /interaction/:uid with a cookie naming the interaction; these routes show the
 * prompt, check what was submitted and hand the result back (interaction-tools.ts `finish`).
 */
export function createInteractionRoutes(deps: InteractionRouteDeps): Router {
  const { pages, csrf } = deps;
  const router = new Router();

  router.get(STYLESHEET_ROUTE, (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('cache-control', 'public, max-age=86400');
    ctx.body = pages.stylesheet;
  });
  for (const [route, script] of pages.scripts) {
    router.get(route, (ctx) => {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.set('cache-control', 'public, max-age=86400');
      ctx.body = script;
    });
  }

  const { load, loadSubmission, finish, formActionOf } = createInteractionTools(deps);

  function renderLogin(ctx: Context, loaded: Loaded, status = 200, error?: string) {
    const { interaction, client, messages } = loaded;
    pages.render(ctx, {
      view: 'login',
      status,
      messages,
      formAction: formActionOf(loaded),
      data: {
        ...urls(interaction.uid),
        csrf: csrf.tokenFor(ctx, interaction.uid),
        clientName: client.clientName ?? client.clientId,
        // Only the application's hint is echoed, never what was typed: a failed attempt shows
        // the same page whether or not the account exists.
        loginHint:
          typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : '',
        error,
        // An application asked for a phishing-resistant sign-in inside a live session.
        stepUp: interaction.prompt.reasons.includes(STEP_UP_REASON),
      },
    });
  }

  async function renderConsent(ctx: Context, loaded: Loaded) {
    const { interaction, client, messages } = loaded;
    const accountId = interaction.session?.accountId;
    const account = accountId ? await deps.accounts.get(accountId) : undefined;
    pages.render(ctx, {
      view: 'consent',
      status: 200,
      messages,
      formAction: formActionOf(loaded),
      data: {
        ...urls(interaction.uid),
        csrf: csrf.tokenFor(ctx, interaction.uid),
        clientName: client.clientName ?? client.clientId,
        username: account?.username ?? '',
        permissions: describePermissions(messages, client, interaction.prompt.details),
      },
    });
  }

  router.use('/interaction', async (ctx, next) => {
    ctx.set('cache-control', 'no-store');
    try {
      await next();
    } catch (error) {
      renderFailure(ctx, pages, error);
    }
  });

  const secondFactor = secondFactorStep(
    { ...deps.secondFactor, pages, csrf },
    {
      load,
      loadSubmission,
      finish,
      formActionOf,
    },
  );

  router.get('/interaction/:uid', async (ctx) => {
    const loaded = await load(ctx);
    const prompt = loaded.interaction.prompt.name;
    const pending = pendingSecondFactorOf(loaded.interaction);
    if (prompt === 'login' && pending) await secondFactor.render(ctx, loaded, pending);
    else if (prompt === 'login') renderLogin(ctx, loaded);
    else if (prompt === 'consent') await renderConsent(ctx, loaded);
    else throw new PageError(400, 'unsupported_prompt');
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const { form, loaded } = await loadSubmission(ctx);
    const { interaction, messages } = loaded;
    if (interaction.prompt.name !== 'login') throw new errors.SessionNotFound('not a login prompt');
    if (!form.username || !form.password) {
      renderLogin(ctx, loaded, 400, messages.login.missingFields);
      return;
    }
    const result = await deps.accounts.authenticate({
      username: form.username,
      password: form.password,
      ip: ctx.ip,
      clientId: loaded.client.clientId,
    });
    if (result.outcome === 'second_factor') {
      await holdForSecondFactor(ctx, interaction, {
        accountId: result.account.id,
        username: result.account.username,
        methods: result.methods,
        remember: form.remember === 'yes',
      });
      return;
    }
    if (result.outcome !== 'success') {
      const refusal = LOGIN_REFUSALS[result.outcome];
      renderLogin(ctx, loaded, refusal.status, messages.login[refusal.message]);
      return;
    }
    // The ID token's acr and amr (OIDC Core section 2) state what this sign-in achieved;
    // oidc-provider keeps them on the session (lib/actions/authorization/resume.js).
    const { acr, amr } = achievedContext(result.methods);
    await finish(
      ctx,
      interaction,
      {
        login: {
          accountId: result.account.id,
          acr,
          amr: [...amr],
          // Unchecked: a browser-session cookie; checked: it outlives the browser (ttl.Session).
          remember: form.remember === 'yes',
        },
      },
      false,
    );
  });

  secondFactor.register(router);
  passkeyStep(deps.passkeys, { load, loadSubmission, finish, formActionOf }).register(
    router,
    async (ctx, loaded) => {
      const pending = pendingSecondFactorOf(loaded.interaction);
      const message = loaded.messages.login.passkeyRefused;
      if (pending) await secondFactor.render(ctx, loaded, pending, 400, message);
      else renderLogin(ctx, loaded as Loaded, 400, message);
    },
  );

  router.post('/interaction/:uid/confirm', async (ctx) => {
    const { loaded } = await loadSubmission(ctx);
    const { interaction, client, provider } = loaded;
    if (interaction.prompt.name !== 'consent') {
      throw new errors.SessionNotFound('not a consent prompt');
    }
    const accountId = interaction.session?.accountId;
    if (!accountId) throw new errors.SessionNotFound('no signed-in account');
    // Consent is remembered on the session's grant for this client (oidc-provider Grant):
    // the next request for the same scopes skips this page.
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: client.clientId });
    if (!grant) throw new errors.SessionNotFound('grant no longer exists');
    applyConsent(grant, client, interaction.prompt.details);
    const grantId = await grant.save();
    await finish(ctx, interaction, { consent: interaction.grantId ? {} : { grantId } }, true);
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    const { loaded } = await loadSubmission(ctx);
    await finish(
      ctx,
      loaded.interaction,
      { error: 'access_denied', error_description: 'the end-user cancelled the request' },
      false,
    );
  });

  // Any other method on these paths: 405 with Allow (RFC 9110 section 15.5.6) on the error
  // page, rather than falling through to oidc-provider, which has no route here.
  for (const [path, allow] of Object.entries(PAGE_METHODS)) {
    router.all(path, (ctx) => {
      ctx.set('allow', allow);
      throw new PageError(405, 'method_not_allowed');
    });
  }

  return router;
}

/** A refused sign-in shows the login page again with this status and message. */
const LOGIN_REFUSALS = {
  invalid_credentials: { status: 400, message: 'invalidCredentials' },
  throttled: { status: 429, message: 'throttled' },
  busy: { status: 503, message: 'busy' },
  unavailable: { status: 503, message: 'unavailable' },
} as const satisfies Record<
  Exclude<LoginResult['outcome'], 'success' | 'second_factor'>,
  { status: number; message: keyof Messages['login'] }
>;

/** What each hosted-page path serves; registered last, so these only see other methods. */
const PAGE_METHODS: Readonly<Record<string, string>> = {
  '/interaction/:uid': 'GET, HEAD',
  '/interaction/:uid/login': 'POST',
  '/interaction/:uid/second-factor': 'POST',
  '/interaction/:uid/passkey/options': 'POST',
  '/interaction/:uid/passkey': 'POST',
  '/interaction/:uid/confirm': 'POST',
  '/interaction/:uid/abort': 'POST',
};
