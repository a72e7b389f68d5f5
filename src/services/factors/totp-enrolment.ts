import type { AccountFactor, AccountFactorStore } from '../../ports/account-factors.ts';
import type { EncryptedPrivateKey } from '../../ports/signing-keys.ts';
import type { SecretSealer, TotpEnrolment } from './factor-service.ts';
import { newTotpSecret, totpUri } from './totp-codes.ts';

/** What an authenticator app's factor keeps: its secret, sealed, and whether a code confirmed it. */
export interface TotpData {
  readonly secret: EncryptedPrivateKey;
  readonly confirmed: boolean;
}

export const totpIdOf = (accountId: string) => `totp:${accountId}`;

/** A factor counts once it is usable: a TOTP secret only after its first code confirmed it. */
export const isActiveFactor = (factor: AccountFactor) =>
  factor.kind !== 'totp' || (factor.data as unknown as TotpData).confirmed;

export interface TotpEnrolmentDeps {
  readonly factors: AccountFactorStore;
  readonly sealer: SecretSealer;
  readonly clock: () => number;
  /** What authenticator apps show the entry as (the issuer's host). */
  readonly issuerName: string;
}

/** Setting up an authenticator app (factor-service.ts): its secret shown, started, replaced. */
export function createTotpEnrolment(deps: TotpEnrolmentDeps) {
  const { factors, sealer, clock } = deps;

  const secretOf = (factor: AccountFactor) =>
    sealer.decrypt((factor.data as unknown as TotpData).secret, factor.id);

  const enrolmentOf = (factor: AccountFactor, label: string): TotpEnrolment => {
    const secret = secretOf(factor);
    return { secret, uri: totpUri(secret, deps.issuerName, label) };
  };

  /** The secret being set up, or undefined when there is none. */
  async function pending(accountId: string, label: string): Promise<TotpEnrolment | undefined> {
    const factor = await factors.get(totpIdOf(accountId));
    return factor && !isActiveFactor(factor) ? enrolmentOf(factor, label) : undefined;
  }

  /**
   * Starts setting up an app over the account's TOTP factor as just read (`existing`,
   * undefined when there is none): factor-service.ts startTotp.
   */
  async function startOver(
    accountId: string,
    label: string,
    existing: AccountFactor | undefined,
  ): Promise<TotpEnrolment | undefined> {
    const id = totpIdOf(accountId);
    if (existing && isActiveFactor(existing)) return undefined;
    const secret = newTotpSecret();
    const data = { secret: sealer.encrypt(secret, id), confirmed: false } satisfies TotpData;
    const stored = existing
      ? await factors.recordUse(id, existing.counter, {
          counter: existing.counter + 1,
          usedAt: clock(),
          data,
        })
      : await factors.insert({
          id,
          accountId,
          kind: 'totp',
          name: undefined,
          data,
          counter: 0,
          createdAt: clock(),
          lastUsedAt: undefined,
        });
    if (!stored) return pending(accountId, label);
    return { secret, uri: totpUri(secret, deps.issuerName, label) };
  }

  return { secretOf, enrolmentOf, pending, startOver };
}
