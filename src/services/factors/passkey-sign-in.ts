import type { AuthenticationResponseJSON } from '@simplewebauthn/server';

import type { EventFactory } from '../../events/event-factory.ts';
import type { LoginMetrics } from '../../metrics/create-metrics.ts';
import type { AccountStore } from '../../ports/accounts.ts';
import type { AuthenticationMethod } from '../authentication-context.ts';
import { createLoginDigest } from '../login-digest.ts';
import { recordLoginSuccess } from '../login-success.ts';
import type { PasskeyService } from './passkeys.ts';

export interface PasskeySignInDeps {
  readonly passkeys: PasskeyService;
  readonly accounts: AccountStore;
  readonly newEvent: EventFactory;
  readonly pepper: Buffer;
  readonly metrics?: LoginMetrics | undefined;
}

export interface PasskeyAttempt {
  readonly response: AuthenticationResponseJSON;
  /** What the challenge was issued for: the interaction. */
  readonly scope: string;
  readonly ip: string;
  readonly clientId: string | undefined;
  /**
   * The account whose password was just checked, when the passkey is its second factor: the
   * passkey must be that account's, and the methods add up.
   */
  readonly after?:
    { readonly accountId: string; readonly methods: readonly AuthenticationMethod[] } | undefined;
}

export type PasskeySignInResult =
  | {
      readonly outcome: 'success';
      readonly accountId: string;
      readonly methods: readonly [AuthenticationMethod, ...AuthenticationMethod[]];
    }
  | { readonly outcome: 'refused' };

/**
 * A sign-in by passkey, alone or after a password. Nothing is guessable here (a signature over
 * a single-use challenge), so there are no turns to take; every refusal — unknown credential,
 * bad signature, disabled account, someone else's passkey as a second factor — is the same
 * `refused`, so the answer tells nothing about which accounts or credentials exist.
 */
export function createPasskeySignIn(deps: PasskeySignInDeps) {
  const digest = createLoginDigest(deps.pepper);
  return {
    async signIn(attempt: PasskeyAttempt): Promise<PasskeySignInResult> {
      const verified = await deps.passkeys.authenticate(attempt.response, attempt.scope);
      const account = verified && (await deps.accounts.get(verified.accountId));
      const ownAccount = !attempt.after || attempt.after.accountId === verified?.accountId;
      if (!verified || !account || account.disabled || !ownAccount) {
        deps.metrics?.failed('invalid_credentials');
        return { outcome: 'refused' };
      }
      const methods = [
        ...new Set([
          ...(attempt.after?.methods ?? []),
          ...verified.methods,
          ...(attempt.after ? (['mfa'] as const) : []),
        ]),
      ] as [AuthenticationMethod, ...AuthenticationMethod[]];
      // The same record as any other sign-in: the event, and the account's failures cleared
      // (wrong codes counted before a passkey completed a password sign-in included).
      await recordLoginSuccess(deps.accounts, deps.newEvent, {
        accountId: account.id,
        clientId: attempt.clientId,
        ipHash: digest('ip', attempt.ip),
        amr: methods,
        account,
      });
      deps.metrics?.succeeded();
      return { outcome: 'success', accountId: account.id, methods };
    },
  };
}

export type PasskeySignIn = ReturnType<typeof createPasskeySignIn>;
