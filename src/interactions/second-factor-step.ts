import type Router from '@koa/router';
import type { Context } from 'koa';
import { errors } from 'oidc-provider';

import { achievedContext, type AuthenticationMethod } from '../services/authentication-context.ts';
import type { FactorService } from '../services/factors/factor-service.ts';
import type { SecondFactorCheck } from '../services/factors/second-factor.ts';
import type { CsrfGuard } from './csrf.ts';
import type { Interaction, InteractionTools } from './interaction-tools.ts';
import type { PageRenderer } from './page-renderer.ts';
import { totpQrSvg } from './totp-qr.ts';

export interface SecondFactorStepDeps {
  readonly pages: PageRenderer;
  readonly csrf: CsrfGuard;
  readonly factors: FactorService;
  readonly check: SecondFactorCheck;
}

/**
 * A sign-in whose password was right, waiting for its second factor. Kept on oidc-provider's
 * interaction (its `result` is stored with it, sealed: provider/model-record-protection.ts), so
 * it is bound to this browser's interaction cookie and ends with the interaction. Under a key
 * oidc-provider does not read: resuming the authorization with only this in the result finds
 * no `login` and asks for a sign-in again (lib/actions/authorization/resume.js).
 */
const PENDING_KEY = 'tessera:second_factor';

const METHODS = ['totp', 'recovery_code', 'totp_enrolment'] as const;

interface PendingSecondFactor {
  readonly accountId: string;
  /** What an authenticator app set up at this step names the entry. */
  readonly username: string;
  readonly methods: readonly AuthenticationMethod[];
  readonly remember: boolean;
}

export function pendingSecondFactorOf(interaction: Interaction): PendingSecondFactor | undefined {
  const pending = (interaction.result as Record<string, unknown> | undefined)?.[PENDING_KEY];
  return pending && typeof pending === 'object' ? (pending as PendingSecondFactor) : undefined;
}

/** Puts the sign-in on hold for its second factor and sends the browser to that step. */
export async function holdForSecondFactor(
  ctx: Context,
  interaction: Interaction,
  pending: PendingSecondFactor,
): Promise<void> {
  interaction.result = { [PENDING_KEY]: pending };
  await interaction.persist();
  ctx.status = 303;
  ctx.redirect(`/interaction/${interaction.uid}`);
}

export function secondFactorStep(deps: SecondFactorStepDeps, tools: InteractionTools) {
  const { pages, csrf, factors } = deps;

  async function render(
    ctx: Context,
    loaded: Awaited<ReturnType<InteractionTools['load']>>,
    pending: PendingSecondFactor,
    status = 200,
    error?: string,
  ) {
    const { interaction, messages } = loaded;
    // One read of the account's factors for the whole page. No factor to ask for
    // (TESSERA_MFA=required): the person sets up an app here and now (`enrolment`).
    const { kinds, enrolment } = await factors.secondFactorStepOf(
      pending.accountId,
      pending.username,
    );
    pages.render(ctx, {
      view: 'second-factor',
      status,
      messages,
      formAction: tools.formActionOf(loaded),
      data: {
        secondFactorAction: `/interaction/${interaction.uid}/second-factor`,
        abortAction: `/interaction/${interaction.uid}/abort`,
        passkeyOptionsAction: `/interaction/${interaction.uid}/passkey/options`,
        passkeyAction: `/interaction/${interaction.uid}/passkey`,
        passkey: kinds.has('passkey'),
        csrf: csrf.tokenFor(ctx, interaction.uid),
        totp: kinds.has('totp'),
        recovery: kinds.has('recovery_codes'),
        enrol: enrolment && {
          secret: enrolment.secret,
          qrSvg: await totpQrSvg(enrolment.uri),
        },
        error,
      },
    });
  }

  return {
    render,

    register(router: Router) {
      router.post('/interaction/:uid/second-factor', async (ctx) => {
        const { form, loaded } = await tools.loadSubmission(ctx);
        const { interaction, messages } = loaded;
        const pending = pendingSecondFactorOf(interaction);
        if (interaction.prompt.name !== 'login' || !pending) {
          throw new errors.SessionNotFound('no sign-in is waiting for a second factor');
        }
        const method = METHODS.find((name) => name === form.method) ?? 'totp';
        const code = (form.code ?? '').slice(0, 64);
        const result = await deps.check.check({
          accountId: pending.accountId,
          method,
          code,
          ip: ctx.ip,
          clientId: loaded.client.clientId,
          before: pending.methods,
        });
        if (result.outcome !== 'success') {
          const throttled = result.outcome === 'throttled';
          await render(
            ctx,
            loaded,
            pending,
            throttled ? 429 : 400,
            throttled ? messages.secondFactor.throttled : messages.secondFactor.invalidCode,
          );
          return;
        }
        const { acr, amr } = achievedContext(result.methods);
        await tools.finish(
          ctx,
          interaction,
          {
            login: {
              accountId: pending.accountId,
              acr,
              amr: [...amr],
              remember: pending.remember,
            },
          },
          false,
        );
      });
    },
  };
}
