import { createHash } from 'node:crypto';

import type Provider from 'oidc-provider';

import type { OidcModelStore } from '../ports/oidc-models.ts';
import { withStoreErrors } from './protocol-errors.ts';

/**
 * How far from the server's clock a DPoP proof's `iat` may be, and how long a server nonce stays
 * valid: oidc-provider's CHALLENGE_OK_WINDOW (lib/helpers/challenge.js), in seconds.
 */
const PROOF_ACCEPTANCE_WINDOW = 300;

/**
 * Replaces `ReplayDetection.unique`, through which oidc-provider remembers the `jti` of every DPoP
 * proof (lib/helpers/validate_dpop.js checkDpopReplay) and client assertion
 * (lib/shared/jwt_client_auth.js), for two reasons.
 *
 * Atomic across replicas: oidc-provider's own (lib/models/replay_detection.js) finds, then saves.
 * Two requests carrying the same proof, at two replicas or one, can both find nothing and both
 * be served. Here the store's insertIfAbsent decides: exactly one of them is the first use.
 *
 * Long enough: oidc-provider keeps a proof's `jti` for CHALLENGE_OK_WINDOW after its first use,
 * but accepts a proof whose `iat` lies up to that window in the future, so a proof could come
 * back after its record expired and still pass the `iat` check. RFC 9449 section 11.1 asks for
 * the `jti` to be kept for the whole time the proof would be accepted; adding the window once
 * more covers that whatever the proof's `iat` (and a nonce-carrying proof, whose nonce is good
 * for at most the window). A client assertion's record (`exp` is the assertion's) lasts the
 * window past its `exp`, covering oidc-provider's clock tolerance.
 */
export function installSharedReplayDetection(provider: Provider, models: OidcModelStore): void {
  provider.ReplayDetection.unique = async (iss: string, jti: string, exp: number) => {
    // The record id oidc-provider uses: the issuer and `jti` together, hashed.
    const id = createHash('sha256').update(`${iss}${jti}`).digest('base64url');
    // `exp` is in oidc-provider's clock (lib/helpers/epoch_time.js: Date.now), not Tessera's.
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Math.max(exp - now, 0) + PROOF_ACCEPTANCE_WINDOW;
    const payload = { kind: 'ReplayDetection', jti: id, iss, iat: now, exp: now + expiresIn };
    return withStoreErrors(() => models.insertIfAbsent('ReplayDetection', id, payload, expiresIn));
  };
}
