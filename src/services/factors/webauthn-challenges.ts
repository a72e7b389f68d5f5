import { createHash, createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

import type { OidcModelStore } from '../../ports/oidc-models.ts';

/** How long a WebAuthn ceremony may take from its options to its answer. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

const NONCE_BYTES = 16;
const TAG_BYTES = 16;

/**
 * WebAuthn challenges (WebAuthn L3 section 13.4.3: random, at least 16 bytes, used once) that
 * need no server-side state until they are used: 16 random bytes, the expiry, and an HMAC over
 * both and the scope they were issued for (an interaction or a browser session), so a challenge
 * is only accepted for the ceremony it was made for. Single use: once the ceremony verified,
 * one atomic insert of the challenge's hash as a replay record until it expires
 * (OidcModelStore.insertIfAbsent), so it is spent once at any replica.
 */
export function createWebAuthnChallenges(deps: {
  readonly key: KeyObject;
  readonly clock: () => number;
  /** Where spent challenges are recorded (the replay records of DPoP proofs too). */
  readonly used: Pick<OidcModelStore, 'insertIfAbsent'>;
}) {
  /** Records `challenge` as used until `expiresAt` (epoch ms); false when it was used already. */
  const markUsed = (challenge: string, expiresAt: number): Promise<boolean> => {
    const id = createHash('sha256').update(`tessera-webauthn\0${challenge}`).digest('hex');
    const expiresIn = Math.max(Math.ceil((expiresAt - deps.clock()) / 1000), 1);
    return deps.used.insertIfAbsent(
      'ReplayDetection',
      id,
      { jti: id, kind: 'ReplayDetection' },
      expiresIn,
    );
  };

  const tagOf = (scope: string, body: Buffer) =>
    createHmac('sha256', deps.key)
      .update(`tessera-webauthn-challenge:${scope}\0`)
      .update(body)
      .digest()
      .subarray(0, TAG_BYTES);

  const expiryOf = (challenge: string, scope: string): number | undefined => {
    const raw = Buffer.from(challenge, 'base64url');
    if (raw.length !== NONCE_BYTES + 8 + TAG_BYTES) return undefined;
    const body = raw.subarray(0, NONCE_BYTES + 8);
    if (!timingSafeEqual(tagOf(scope, body), raw.subarray(NONCE_BYTES + 8))) return undefined;
    const expiresAt = Number(body.readBigUInt64BE(NONCE_BYTES));
    return expiresAt > deps.clock() ? expiresAt : undefined;
  };

  return {
    issue(scope: string): string {
      const body = Buffer.alloc(NONCE_BYTES + 8);
      randomBytes(NONCE_BYTES).copy(body);
      body.writeBigUInt64BE(BigInt(deps.clock() + CHALLENGE_TTL_MS), NONCE_BYTES);
      return Buffer.concat([body, tagOf(scope, body)]).toString('base64url');
    },

    /** Whether `challenge` was issued for `scope` and has not expired (not whether it was used). */
    isValid: (challenge: string, scope: string): boolean =>
      expiryOf(challenge, scope) !== undefined,

    /** Spends a valid challenge: true once, for the first ceremony that presents it. */
    async use(challenge: string, scope: string): Promise<boolean> {
      const expiresAt = expiryOf(challenge, scope);
      return expiresAt !== undefined && markUsed(challenge, expiresAt);
    },
  };
}

export type WebAuthnChallenges = ReturnType<typeof createWebAuthnChallenges>;
