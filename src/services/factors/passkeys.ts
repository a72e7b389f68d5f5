import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

import type { EventFactory } from '../../events/event-factory.ts';
import type { AccountFactor, AccountFactorStore } from '../../ports/account-factors.ts';
import type { AuthenticationMethod } from '../authentication-context.ts';
import type { WebAuthnChallenges } from './webauthn-challenges.ts';

export interface PasskeyDeps {
  readonly factors: AccountFactorStore;
  readonly challenges: WebAuthnChallenges;
  /** The issuer's origin: the only origin a ceremony is accepted from. */
  readonly origin: string;
  readonly newEvent: EventFactory;
  readonly clock: () => number;
}

interface PasskeyData {
  /** COSE public key, base64url. */
  readonly publicKey: string;
  readonly transports: readonly string[];
  /** WebAuthn L3 section 6.1 flags BE and BS: may be synced, is synced. */
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
}

/** A passkey sign-in: who, and how (RFC 8176 methods). */
export interface PasskeySignIn {
  readonly accountId: string;
  readonly methods: readonly [AuthenticationMethod, ...AuthenticationMethod[]];
}

const MAX_NAME = 64;

/**
 * Passkeys (WebAuthn Level 3, discoverable credentials, user verification required). The RP ID
 * is the issuer's host (WebAuthn L3 section 5.1.3: a registrable suffix of the origin's host;
 * the host itself is the strictest), and only the issuer's origin is accepted. A credential id
 * is the factor's id, unique across accounts in the store, so one credential never names two
 * accounts.
 */
/**
 * @simplewebauthn/server and what it pulls in (CBOR, ASN.1, COSE) cost a process about 25 MB of
 * RSS: it is loaded at the first passkey ceremony, so a replica that only issues tokens never
 * pays for it (docs/benchmarks.md "Performance").
 */
const loadWebAuthn = () => import('@simplewebauthn/server');

export function createPasskeyService(deps: PasskeyDeps) {
  const { factors, challenges, origin, clock } = deps;
  const rpID = new URL(origin).hostname;

  const dataOf = (factor: AccountFactor) => factor.data as unknown as PasskeyData;

  return {
    rpID,

    /** Options for `navigator.credentials.create`, for the account page (`scope`: its session). */
    async registrationOptions(account: { id: string; username: string }, scope: string) {
      const existing = (await factors.listByAccount(account.id)).filter(
        (factor) => factor.kind === 'passkey',
      );
      const { generateRegistrationOptions } = await loadWebAuthn();
      return generateRegistrationOptions({
        rpName: rpID,
        rpID,
        userName: account.username,
        userID: new TextEncoder().encode(account.id),
        challenge: challengeBytes(challenges.issue(scope)),
        attestationType: 'none',
        excludeCredentials: existing.map((factor) => ({
          id: factor.id,
          transports: [...dataOf(factor).transports],
        })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
    },

    /** Verifies a new passkey and stores it under `name`; false when anything does not check. */
    async register(
      accountId: string,
      name: string,
      response: RegistrationResponseJSON,
      scope: string,
    ): Promise<boolean> {
      const { verifyRegistrationResponse } = await loadWebAuthn();
      const verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: (challenge) => challenges.isValid(challenge, scope),
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: true,
      }).catch(() => undefined);
      if (!verification?.verified) return false;
      const challenge = challengeOf(response.response.clientDataJSON);
      if (!challenge || !(await challenges.use(challenge, scope))) return false;
      const info = verification.registrationInfo;
      const data: PasskeyData = {
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        transports: info.credential.transports ?? [],
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
      };
      return factors.insert(
        {
          id: info.credential.id,
          accountId,
          kind: 'passkey',
          name: name.trim().slice(0, MAX_NAME) || 'Passkey',
          data: data as unknown as Record<string, unknown>,
          counter: info.credential.counter,
          createdAt: clock(),
          lastUsedAt: undefined,
        },
        {
          events: [
            deps.newEvent({
              type: 'tessera.account.factor_added',
              subject: accountId,
              data: { account_id: accountId, kind: 'passkey' },
            }),
          ],
        },
      );
    },

    /** Options for `navigator.credentials.get` with no account named (discoverable credentials). */
    async authenticationOptions(scope: string) {
      const { generateAuthenticationOptions } = await loadWebAuthn();
      return generateAuthenticationOptions({
        rpID,
        challenge: challengeBytes(challenges.issue(scope)),
        userVerification: 'required',
        allowCredentials: [],
      });
    },

    /**
     * Verifies a passkey assertion: the credential, its account (the user handle must name the
     * credential's own account), the signature with user verification, the origin, the RP ID
     * and the challenge (issued for `scope`, used once); records the new signature counter and
     * backup state. Undefined for any failure, the same whether or not the credential exists.
     */
    async authenticate(
      response: AuthenticationResponseJSON,
      scope: string,
    ): Promise<PasskeySignIn | undefined> {
      const factor = await factors.get(response.id);
      if (!factor || factor.kind !== 'passkey') return undefined;
      const handle = response.response.userHandle;
      if (handle && Buffer.from(handle, 'base64url').toString('utf8') !== factor.accountId) {
        return undefined;
      }
      const data = dataOf(factor);
      const { verifyAuthenticationResponse } = await loadWebAuthn();
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => challenges.isValid(challenge, scope),
        expectedOrigin: origin,
        expectedRPID: rpID,
        credential: {
          id: factor.id,
          publicKey: Buffer.from(data.publicKey, 'base64url'),
          counter: factor.counter,
          transports: [...data.transports],
        },
        requireUserVerification: true,
      }).catch(() => undefined);
      if (!verification?.verified) return undefined;
      const challenge = challengeOf(response.response.clientDataJSON);
      if (!challenge || !(await challenges.use(challenge, scope))) return undefined;
      const info = verification.authenticationInfo;
      const used = await factors.recordUse(factor.id, factor.counter, {
        counter: info.newCounter,
        usedAt: clock(),
        data: { ...data, backedUp: info.credentialBackedUp },
      });
      if (!used) return undefined;
      // RFC 8176: `swk` for a key that may be synced (software-held), `hwk` for one bound to its
      // device; `user` for the user verification the ceremony required.
      const keyMethod: AuthenticationMethod = data.backupEligible ? 'swk' : 'hwk';
      return { accountId: factor.accountId, methods: [keyMethod, 'user'] };
    },
  };
}

/**
 * A challenge as bytes: @simplewebauthn/server base64url-encodes a string challenge's UTF-8 once
 * more, while the browser signs the bytes; given bytes, the options carry exactly the issued
 * base64url text, which comes back in the client data to be checked.
 */
const challengeBytes = (challenge: string) => new Uint8Array(Buffer.from(challenge, 'base64url'));

/** The challenge the browser signed (WebAuthn L3 section 5.8.1 CollectedClientData). */
function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    return typeof parsed.challenge === 'string' ? parsed.challenge : undefined;
  } catch {
    return undefined;
  }
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;
