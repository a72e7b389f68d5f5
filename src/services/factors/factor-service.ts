import { createSecretKey } from 'node:crypto';

import type { EventFactory } from '../../events/event-factory.ts';
import { AppError } from '../app-error.ts';
import type { AccountFactor, AccountFactorStore, FactorKind } from '../../ports/account-factors.ts';
import type { EncryptedPrivateKey } from '../../ports/signing-keys.ts';
import {
  indexOfHash,
  newRecoveryCode,
  RECOVERY_CODE_COUNT,
  recoveryCodeHash,
} from './recovery-codes.ts';
import { acceptedStep } from './totp-codes.ts';
import { createTotpEnrolment, isActiveFactor, totpIdOf, type TotpData } from './totp-enrolment.ts';

/**
 * Seals secrets at rest: the key-encryption key's AES-256-GCM (keys/key-encryption.ts), as
 * private signing keys are sealed; the associated data binds a ciphertext to its record.
 */
export interface SecretSealer {
  encrypt(plaintext: string, associatedData: string): EncryptedPrivateKey;
  decrypt(sealed: EncryptedPrivateKey, associatedData: string): string;
}

export interface FactorServiceDeps {
  readonly factors: AccountFactorStore;
  readonly sealer: SecretSealer;
  /** Keys the recovery codes' hashes (the server pepper). */
  readonly pepper: Buffer;
  readonly newEvent: EventFactory;
  readonly clock: () => number;
  /** What authenticator apps show the entry as (the issuer's host). */
  readonly issuerName: string;
}

/** A factor as the account page and the admin API show it: never its secret. */
export interface FactorView {
  readonly id: string;
  readonly kind: FactorKind;
  readonly name: string | undefined;
  readonly createdAt: number;
  readonly lastUsedAt: number | undefined;
  /** Recovery codes only: how many are left unused. */
  readonly remaining?: number;
}

/** A TOTP secret being set up: shown once, confirmed by a first code. */
export interface TotpEnrolment {
  readonly secret: string;
  readonly uri: string;
}

interface RecoveryData {
  readonly hashes: readonly string[];
}

export { totpIdOf };
export const recoveryIdOf = (accountId: string) => `recovery:${accountId}`;

/** Rounds of read and compare-and-set of a recovery-code set lost to a concurrent use. */
const ATTEMPTS = 20;

/**
 * Second factors of an account: an authenticator app (RFC 6238 TOTP) and recovery codes. Each
 * use is a compare-and-set on the factor's counter (AccountFactorStore.recordUse), so a TOTP code
 * or a recovery code counts once however many requests present it at once.
 */
export function createFactorService(deps: FactorServiceDeps) {
  const { factors, newEvent, clock } = deps;
  const pepper = createSecretKey(deps.pepper);

  const added = (accountId: string, kind: FactorKind) =>
    newEvent({
      type: 'tessera.account.factor_added',
      subject: accountId,
      data: { account_id: accountId, kind },
    });
  const removed = (accountId: string, kind: FactorKind, by: 'user' | 'admin') =>
    newEvent({
      type: 'tessera.account.factor_removed',
      subject: accountId,
      data: { account_id: accountId, kind, by },
    });

  const viewOf = (factor: AccountFactor): FactorView => ({
    id: factor.id,
    kind: factor.kind,
    name: factor.name,
    createdAt: factor.createdAt,
    lastUsedAt: factor.lastUsedAt,
    ...(factor.kind === 'recovery_codes'
      ? { remaining: (factor.data as unknown as RecoveryData).hashes.length }
      : {}),
  });

  const totp = createTotpEnrolment(deps);
  const { secretOf } = totp;

  async function activeFactors(accountId: string): Promise<AccountFactor[]> {
    return (await factors.listByAccount(accountId)).filter(isActiveFactor);
  }

  /** The methods among an account's factors that can complete a sign-in (secondFactorsOf). */
  const secondFactorKinds = (listed: readonly AccountFactor[]): ReadonlySet<FactorKind> => {
    const kinds = new Set(listed.filter(isActiveFactor).map((factor) => factor.kind));
    return kinds.has('totp') || kinds.has('passkey') ? kinds : new Set();
  };

  return {
    async list(accountId: string): Promise<FactorView[]> {
      return (await activeFactors(accountId)).map(viewOf);
    },

    /**
     * The methods that can complete a sign-in after the password: none when the account has
     * neither an authenticator app nor a passkey (recovery codes alone are no second factor,
     * only a way back when one is lost).
     */
    async secondFactorsOf(accountId: string): Promise<ReadonlySet<FactorKind>> {
      return secondFactorKinds(await factors.listByAccount(accountId));
    },

    /**
     * What the second-factor page offers, from one read of the account's factors: the methods
     * that can complete the sign-in (secondFactorsOf) and, when there are none
     * (TESSERA_MFA=required), the authenticator app being set up, started now if none is.
     */
    async secondFactorStepOf(
      accountId: string,
      label: string,
    ): Promise<{ kinds: ReadonlySet<FactorKind>; enrolment: TotpEnrolment | undefined }> {
      const listed = await factors.listByAccount(accountId);
      const kinds = secondFactorKinds(listed);
      if (kinds.size > 0) return { kinds, enrolment: undefined };
      // Unconfirmed if there is one: a confirmed app would be among `kinds`.
      const app = listed.find((factor) => factor.id === totpIdOf(accountId));
      const enrolment = app
        ? totp.enrolmentOf(app, label)
        : await totp.startOver(accountId, label, undefined);
      return { kinds, enrolment };
    },

    /**
     * Starts setting up an authenticator app: a new secret, stored sealed and unconfirmed
     * (replacing an unconfirmed one). Undefined when the account has a confirmed one already.
     * An unconfirmed secret is replaced by a compare-and-set on its counter, so a confirmation
     * that read the old secret cannot then store it over the new one; when another request
     * started one at the same moment, that one is the secret shown.
     */
    async startTotp(accountId: string, label: string): Promise<TotpEnrolment | undefined> {
      return totp.startOver(accountId, label, await factors.get(totpIdOf(accountId)));
    },

    /** The secret being set up again (the page shown anew), or undefined when there is none. */
    pendingTotp: totp.pending,

    /** Confirms the secret being set up with a code from the app; false for a wrong code. */
    async confirmTotp(accountId: string, code: string): Promise<boolean> {
      const factor = await factors.get(totpIdOf(accountId));
      if (!factor || isActiveFactor(factor)) return false;
      const step = await acceptedStep(secretOf(factor), code, clock(), factor.counter);
      if (step === undefined) return false;
      const data: TotpData = { ...(factor.data as unknown as TotpData), confirmed: true };
      return factors.recordUse(
        factor.id,
        factor.counter,
        { counter: step, usedAt: clock(), data: data as unknown as Record<string, unknown> },
        { events: [added(accountId, 'totp')] },
      );
    },

    /**
     * Checks a code of the account's authenticator app and records its time step, so that the
     * same code (or an earlier one) is refused from then on.
     */
    async verifyTotp(accountId: string, code: string): Promise<boolean> {
      const factor = await factors.get(totpIdOf(accountId));
      if (!factor || !isActiveFactor(factor)) return false;
      const step = await acceptedStep(secretOf(factor), code, clock(), factor.counter);
      if (step === undefined) return false;
      return factors.recordUse(factor.id, factor.counter, { counter: step, usedAt: clock() });
    },

    /**
     * Replaces the account's recovery codes with new ones, returned once, stored hashed. An
     * existing set is replaced in one compare-and-set on its counter (as startTotp does), so the
     * old codes keep working until the new ones are stored: a failed write loses neither.
     */
    async generateRecoveryCodes(accountId: string): Promise<string[]> {
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      const id = recoveryIdOf(accountId);
      const data = {
        hashes: codes.map((code) => recoveryCodeHash(pepper, accountId, code)),
      } satisfies RecoveryData;
      const events = { events: [added(accountId, 'recovery_codes')] };
      const existing = await factors.get(id);
      const stored = existing
        ? await factors.recordUse(
            id,
            existing.counter,
            { counter: existing.counter + 1, usedAt: clock(), data },
            events,
          )
        : await factors.insert(
            {
              id,
              accountId,
              kind: 'recovery_codes',
              name: undefined,
              data,
              counter: 0,
              createdAt: clock(),
              lastUsedAt: undefined,
            },
            events,
          );
      // Another request replaced or spent the set since it was read: that set stands, and this
      // request's codes, never stored, must not be shown as if they worked (409, not 500).
      if (!stored) {
        throw new AppError(
          'conflict',
          'new recovery codes were made at the same moment; try again',
        );
      }
      return codes;
    },

    /** Spends one recovery code: true once per code, however many requests present it. */
    async useRecoveryCode(accountId: string, code: string): Promise<boolean> {
      const hash = recoveryCodeHash(pepper, accountId, code);
      for (let round = 0; round < ATTEMPTS; round += 1) {
        const factor = await factors.get(recoveryIdOf(accountId));
        if (!factor) return false;
        const { hashes } = factor.data as unknown as RecoveryData;
        const index = indexOfHash(hashes, hash);
        if (index < 0) return false;
        const remaining: RecoveryData = { hashes: hashes.filter((_, i) => i !== index) };
        const spent = await factors.recordUse(factor.id, factor.counter, {
          counter: factor.counter + 1,
          usedAt: clock(),
          data: remaining as unknown as Record<string, unknown>,
        });
        if (spent) return true;
      }
      return false;
    },

    /** Removes one of the account's factors (by the person on /account or an admin). */
    async remove(accountId: string, id: string, by: 'user' | 'admin'): Promise<boolean> {
      const factor = await factors.get(id);
      if (!factor || factor.accountId !== accountId) return false;
      return factors.delete(accountId, id, { events: [removed(accountId, factor.kind, by)] });
    },

    /** Removes every factor of the account (an administrator's reset); how many went. */
    async reset(accountId: string): Promise<number> {
      const count = (await factors.listByAccount(accountId)).length;
      return factors.deleteByAccount(accountId, {
        events: [
          newEvent({
            type: 'tessera.account.factors_reset',
            subject: accountId,
            data: { account_id: accountId, removed: count },
          }),
        ],
      });
    },
  };
}

export type FactorService = ReturnType<typeof createFactorService>;
