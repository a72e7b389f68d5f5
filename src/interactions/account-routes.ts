import Router from '@koa/router';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'koa';
import { z } from 'zod';

import type { ProviderHolder } from '../provider/provider-holder.ts';
import type { AccountService } from '../services/account-service.ts';
import {
  totpIdOf,
  type FactorService,
  type TotpEnrolment,
} from '../services/factors/factor-service.ts';
import type { PasskeyService } from '../services/factors/passkeys.ts';
import type { CsrfGuard } from './csrf.ts';
import { parseCeremonyAnswer } from './passkey-step.ts';
import { readForm } from './form-body.ts';
import { selectMessages } from './messages/catalog.ts';
import type { PageRenderer } from './page-renderer.ts';
import { PageError, renderFailure } from './page-failure.ts';
import { totpQrSvg } from './totp-qr.ts';

export interface AccountRouteDeps {
  readonly holder: ProviderHolder;
  readonly accounts: AccountService;
  readonly factors: FactorService;
  readonly passkeys: PasskeyService;
  readonly pages: PageRenderer;
  readonly csrf: CsrfGuard;
}

/** A browser's answer to `navigator.credentials.create`, as @simplewebauthn/browser gives it. */
const registrationSchema = z.looseObject({
  id: z.string().min(1).max(1024),
  rawId: z.string().max(1024),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: z.string().max(8192),
    attestationObject: z.string().max(8192),
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
  clientExtensionResults: z.looseObject({}),
});

interface SignedIn {
  readonly accountId: string;
  readonly username: string;
  /** What the forms' CSRF tokens are bound to: this browser session. */
  readonly csrfScope: string;
}

/**
 * The account security page, /account: a signed-in person sets up and removes an authenticator
 * app and makes recovery codes. "Signed in" is the browser's Tessera session, the one
 * oidc-provider keeps for single sign-on (lib/models/session.js, Session.get reads its cookie):
 * no session, no account shown. Every form carries a CSRF token bound to that session
 * (csrf.ts); cross-site posts are refused before (cross-site-posts.ts); the pages get the same
 * CSP and no-store as the sign-in pages (page-renderer.ts).
 */
export function createAccountRoutes(deps: AccountRouteDeps): Router {
  const { pages, csrf, factors } = deps;
  const router = new Router();

  async function signedIn(ctx: Context): Promise<SignedIn | undefined> {
    const { provider } = deps.holder.current();
    const session = await provider.Session.get(ctx);
    if (!session.accountId) return undefined;
    const account = await deps.accounts.get(session.accountId).catch(() => undefined);
    if (!account || account.disabled) return undefined;
    return {
      accountId: account.id,
      username: account.username,
      csrfScope: `account:${String(session.uid)}`,
    };
  }

  async function render(
    ctx: Context,
    who: SignedIn | undefined,
    options: { status?: number; error?: string; recoveryCodes?: string[] } = {},
  ) {
    const messages = selectMessages(undefined, ctx.get('accept-language'));
    if (!who) {
      pages.render(ctx, { view: 'account', status: 200, messages, formAction: 'none', data: {} });
      return;
    }
    const list = await factors.list(who.accountId);
    const totp = list.find((factor) => factor.kind === 'totp');
    const recovery = list.find((factor) => factor.kind === 'recovery_codes');
    const day = (epochMs: number | undefined) =>
      epochMs === undefined ? undefined : new Date(epochMs).toISOString().slice(0, 10);
    const passkeys = list
      .filter((factor) => factor.kind === 'passkey')
      .map((factor) => ({
        id: factor.id,
        name: factor.name ?? '',
        created: day(factor.createdAt),
        lastUsed: day(factor.lastUsedAt),
      }));
    const pending: TotpEnrolment | undefined = totp
      ? undefined
      : await factors.pendingTotp(who.accountId, who.username);
    pages.render(ctx, {
      view: 'account',
      status: options.status ?? 200,
      messages,
      formAction: [],
      data: {
        username: who.username,
        csrf: csrf.tokenFor(ctx, who.csrfScope),
        totp: totp && { created: new Date(totp.createdAt).toISOString().slice(0, 10) },
        pending: pending && { secret: pending.secret, qrSvg: await totpQrSvg(pending.uri) },
        recoveryRemaining: recovery?.remaining,
        passkeys,
        recoveryCodes: options.recoveryCodes,
        error: options.error,
      },
    });
  }

  /** The signed-in person of a form post, once its CSRF token checks out. */
  async function submitter(ctx: Context) {
    const form = await readForm(ctx);
    const who = await signedIn(ctx);
    if (!who) throw new PageError(401, 'login_required');
    if (!csrf.verify(ctx, who.csrfScope, form.csrf)) throw new PageError(403, 'csrf_failed');
    return { form, who };
  }

  const backToAccount = (ctx: Context) => {
    ctx.status = 303;
    ctx.redirect('/account');
  };

  router.use('/account', async (ctx, next) => {
    ctx.set('cache-control', 'no-store');
    try {
      await next();
    } catch (error) {
      renderFailure(ctx, pages, error);
    }
  });

  router.get('/account', async (ctx) => {
    await render(ctx, await signedIn(ctx));
  });

  router.post('/account/totp/start', async (ctx) => {
    const { who } = await submitter(ctx);
    await factors.startTotp(who.accountId, who.username);
    backToAccount(ctx);
  });

  router.post('/account/totp/confirm', async (ctx) => {
    const { form, who } = await submitter(ctx);
    if (await factors.confirmTotp(who.accountId, (form.code ?? '').slice(0, 64))) {
      backToAccount(ctx);
      return;
    }
    const messages = selectMessages(undefined, ctx.get('accept-language'));
    await render(ctx, who, { status: 400, error: messages.account.totpInvalid });
  });

  router.post('/account/totp/remove', async (ctx) => {
    const { who } = await submitter(ctx);
    await factors.remove(who.accountId, totpIdOf(who.accountId), 'user');
    backToAccount(ctx);
  });

  router.post('/account/passkeys/options', async (ctx) => {
    const { who } = await submitter(ctx);
    ctx.body = await deps.passkeys.registrationOptions(
      { id: who.accountId, username: who.username },
      who.csrfScope,
    );
  });

  router.post('/account/passkeys', async (ctx) => {
    const { form, who } = await submitter(ctx);
    const response = parseCeremonyAnswer(registrationSchema, form.response);
    const added =
      response !== undefined &&
      (await deps.passkeys.register(
        who.accountId,
        (form.name ?? '').slice(0, 200),
        response as unknown as RegistrationResponseJSON,
        who.csrfScope,
      ));
    if (added) {
      backToAccount(ctx);
      return;
    }
    const messages = selectMessages(undefined, ctx.get('accept-language'));
    await render(ctx, who, { status: 400, error: messages.account.passkeyFailed });
  });

  router.post('/account/passkeys/remove', async (ctx) => {
    const { form, who } = await submitter(ctx);
    const factor = (await factors.list(who.accountId)).find(
      (candidate) => candidate.kind === 'passkey' && candidate.id === form.id,
    );
    if (factor) await factors.remove(who.accountId, factor.id, 'user');
    backToAccount(ctx);
  });

  router.post('/account/recovery-codes', async (ctx) => {
    const { who } = await submitter(ctx);
    // Shown in this response only: the store keeps their hashes (recovery-codes.ts).
    const recoveryCodes = await factors.generateRecoveryCodes(who.accountId);
    await render(ctx, who, { recoveryCodes });
  });

  for (const [path, allow] of Object.entries(ACCOUNT_METHODS)) {
    router.all(path, (ctx) => {
      ctx.set('allow', allow);
      throw new PageError(405, 'method_not_allowed');
    });
  }

  return router;
}

/** What each account path serves; registered last, so these only see other methods. */
const ACCOUNT_METHODS: Readonly<Record<string, string>> = {
  '/account': 'GET, HEAD',
  '/account/totp/start': 'POST',
  '/account/totp/confirm': 'POST',
  '/account/totp/remove': 'POST',
  '/account/recovery-codes': 'POST',
  '/account/passkeys/options': 'POST',
  '/account/passkeys': 'POST',
  '/account/passkeys/remove': 'POST',
};
