import type Router from '@koa/router';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'koa';
import { errors } from 'oidc-provider';
import { z } from 'zod';

import { achievedContext } from '../services/authentication-context.ts';
import type { PasskeyService } from '../services/factors/passkeys.ts';
import type { PasskeySignIn } from '../services/factors/passkey-sign-in.ts';
import { PageError } from './page-failure.ts';
import type { InteractionTools } from './interaction-tools.ts';
import { pendingSecondFactorOf } from './second-factor-step.ts';

export interface PasskeyStepDeps {
  readonly passkeys: PasskeyService;
  readonly signIn: PasskeySignIn;
}

/** A browser's WebAuthn answer, as @simplewebauthn/browser's startAuthentication returns it. */
const assertionSchema = z.looseObject({
  id: z.string().min(1).max(1024),
  rawId: z.string().max(1024),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: z.string().max(8192),
    authenticatorData: z.string().max(8192),
    signature: z.string().max(8192),
    userHandle: z.string().max(512).optional(),
  }),
  clientExtensionResults: z.looseObject({}),
});

/** Parses the answer a form carried; undefined for anything that is not one. */
export function parseCeremonyAnswer<T>(schema: z.ZodType<T>, text: string | undefined) {
  if (!text) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The scope a sign-in challenge is bound to: this interaction (webauthn-challenges.ts). */
const scopeOf = (uid: string) => `interaction:${uid}`;

/**
 * Passkeys on the sign-in pages: the "Sign in with a passkey" button and the username field's
 * autofill (WebAuthn L3 conditional mediation) both fetch options from
 * `/interaction/:uid/passkey/options` and post the browser's answer to `/interaction/:uid/passkey`
 * (assets/passkeys.js). On the second-factor page the same answer completes a password sign-in,
 * if the passkey is that account's.
 */
export function passkeyStep(deps: PasskeyStepDeps, tools: InteractionTools) {
  return {
    register(
      router: Router,
      refuse: (
        ctx: Context,
        loaded: Awaited<ReturnType<InteractionTools['load']>>,
      ) => Promise<void>,
    ) {
      router.post('/interaction/:uid/passkey/options', async (ctx) => {
        const { loaded } = await tools.loadSubmission(ctx);
        if (loaded.interaction.prompt.name !== 'login') {
          throw new errors.SessionNotFound('not a login prompt');
        }
        ctx.set('cache-control', 'no-store');
        ctx.body = await deps.passkeys.authenticationOptions(scopeOf(loaded.interaction.uid));
      });

      router.post('/interaction/:uid/passkey', async (ctx) => {
        const { form, loaded } = await tools.loadSubmission(ctx);
        const { interaction } = loaded;
        if (interaction.prompt.name !== 'login') {
          throw new errors.SessionNotFound('not a login prompt');
        }
        const response = parseCeremonyAnswer(assertionSchema, form.response);
        if (!response) throw new PageError(400, 'invalid_request');
        const pending = pendingSecondFactorOf(interaction);
        const result = await deps.signIn.signIn({
          response: response as unknown as AuthenticationResponseJSON,
          scope: scopeOf(interaction.uid),
          ip: ctx.ip,
          clientId: loaded.client.clientId,
          after: pending && { accountId: pending.accountId, methods: pending.methods },
        });
        if (result.outcome !== 'success') {
          await refuse(ctx, loaded);
          return;
        }
        const { acr, amr } = achievedContext(result.methods);
        await tools.finish(
          ctx,
          interaction,
          {
            login: {
              accountId: result.accountId,
              acr,
              amr: [...amr],
              remember: pending?.remember ?? form.remember === 'yes',
            },
          },
          false,
        );
      });
    },
  };
}
