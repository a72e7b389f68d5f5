import type { LoginThrottleConfig } from '../../config/config.ts';
import type { EventFactory } from '../../events/event-factory.ts';
import type { LoginMetrics } from '../../metrics/create-metrics.ts';
import type { AccountStore } from '../../ports/accounts.ts';
import type { LoginThrottleStore } from '../../ports/login-throttle.ts';
import type { OutboxStore } from '../../ports/outbox.ts';
import type { AuthenticationMethod } from '../authentication-context.ts';
import { createLoginDigest } from '../login-digest.ts';
import { recordLoginSuccess } from '../login-success.ts';
import { ipTurn, lockedUntilFor, usernameTurn, type Refusal } from '../login-throttle-policy.ts';
import { createSignInReservations } from '../sign-in-reservations.ts';
import type { FactorService } from './factor-service.ts';

export interface SecondFactorDeps {
  readonly accounts: AccountStore;
  readonly throttle: LoginThrottleStore;
  readonly outbox: OutboxStore;
  readonly factors: FactorService;
  readonly policy: LoginThrottleConfig;
  readonly pepper: Buffer;
  readonly newEvent: EventFactory;
  readonly clock: () => number;
  readonly metrics?: LoginMetrics | undefined;
}

/** A second-factor attempt, after the account's password was verified (authenticator.ts). */
export interface SecondFactorAttempt {
  readonly accountId: string;
  /**
   * An authenticator app's code, one of the account's recovery codes, or the first code of an
   * app being set up at sign-in (TESSERA_MFA=required, for an account without a factor).
   */
  readonly method: 'totp' | 'recovery_code' | 'totp_enrolment';
  readonly code: string;
  readonly ip: string;
  readonly clientId: string | undefined;
  /** The methods the sign-in used before this one (`pwd`). */
  readonly before: readonly AuthenticationMethod[];
}

export type SecondFactorResult =
  | {
      readonly outcome: 'success';
      readonly methods: readonly [AuthenticationMethod, ...AuthenticationMethod[]];
    }
  | { readonly outcome: 'invalid_code' }
  | { readonly outcome: 'throttled' };

/**
 * The second step of a password sign-in. Each attempt takes a turn on the account and on the
 * client IP exactly as a password attempt does (sign-in-reservations.ts: one atomic
 * read-decide-write per counter, before the code is checked), and a wrong code keeps both
 * turns as failures, on the same counters as wrong passwords: however many codes arrive at
 * once, no more reach the check than the policy has turns for, and the lockout follows.
 */
export function createSecondFactorCheck(deps: SecondFactorDeps) {
  const { accounts, throttle, policy, newEvent, clock, factors } = deps;
  const turns = createSignInReservations({ accounts, throttle, policy });
  const digest = createLoginDigest(deps.pepper);
  const verifierOf = (method: SecondFactorAttempt['method']) =>
    ({
      totp: (id: string, code: string) => factors.verifyTotp(id, code),
      recovery_code: (id: string, code: string) => factors.useRecoveryCode(id, code),
      totp_enrolment: (id: string, code: string) => factors.confirmTotp(id, code),
    })[method];

  const refuse = (reason: Refusal): SecondFactorResult => {
    deps.metrics?.failed(reason);
    return { outcome: 'throttled' };
  };

  return {
    async check(attempt: SecondFactorAttempt): Promise<SecondFactorResult> {
      const now = clock();
      const ipHash = digest('ip', attempt.ip);
      const ipKey = `ip:${ipHash}`;
      // Refused on a read first, then on the turns proper, as authenticator.ts does; every
      // refusal counted with its reason, as a password attempt's is.
      const seenIp = ipTurn(await throttle.get(ipKey, now), policy, now);
      if (seenIp.refused) return refuse(seenIp.refused);
      const account = await accounts.get(attempt.accountId);
      if (!account || account.disabled) return { outcome: 'invalid_code' };
      const seen = usernameTurn(account.failedLogins, account.lockedUntil, policy, now);
      if (seen.refused) return refuse(seen.refused);
      const user = await turns.ofAccount(account, now);
      if (!user) return { outcome: 'invalid_code' };
      if (user.refused) return refuse(user.refused);
      const ip = await turns.ofIp(ipKey, now);
      if (ip.refused) {
        await user.held.release();
        return refuse(ip.refused);
      }

      const verified = await verifierOf(attempt.method)(account.id, attempt.code);
      if (verified) {
        // RFC 8176 section 2: `otp` for a one-time code (a recovery code is one too), `mfa`
        // as the sign-in used more than one factor.
        const methods = [...new Set([...attempt.before, 'otp', 'mfa'] as const)] as [
          AuthenticationMethod,
          ...AuthenticationMethod[],
        ];
        await recordLoginSuccess(accounts, newEvent, {
          accountId: account.id,
          clientId: attempt.clientId,
          ipHash,
          amr: methods,
          ipTurn: ip.held,
          account: user.held.account,
        });
        deps.metrics?.succeeded();
        return { outcome: 'success', methods };
      }
      const window = user.held.counted;
      deps.metrics?.failed('invalid_credentials');
      await deps.outbox.append([
        newEvent({
          type: 'tessera.login.failed',
          subject: account.id,
          data: {
            reason: 'wrong_second_factor',
            account_id: account.id,
            client_id: attempt.clientId ?? null,
            ip_hash: ipHash,
            failures: window.count,
            locked: lockedUntilFor(window, policy) !== undefined,
          },
        }),
      ]);
      if (window.count === policy.lockoutAfter) deps.metrics?.lockedOut();
      return { outcome: 'invalid_code' };
    },
  };
}

export type SecondFactorCheck = ReturnType<typeof createSecondFactorCheck>;
