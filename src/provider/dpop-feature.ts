import { hkdfSync } from 'node:crypto';

import type { Config } from '../config/config.ts';

/**
 * The algorithms DPoP proofs may be signed with (discovery's `dpop_signing_alg_values_supported`):
 * oidc-provider's default (lib/helpers/defaults.js `enabledJWA.dPoPSigningAlgValues`), written
 * out so that an upgrade cannot change them unnoticed. Asymmetric only, as RFC 9449 section 4.3
 * (check 5) requires; the token endpoint refuses any other `alg` with `invalid_dpop_proof`.
 */
export const DPOP_SIGNING_ALGS = ['ES256', 'Ed25519', 'EdDSA'] as const;

/**
 * The secret server-provided nonces are derived from (RFC 9449 section 8). oidc-provider does not
 * store nonces: each is an HKDF of this secret and the current minute (lib/helpers/challenge.js),
 * so every replica must hold the same secret. Deriving it from the key-encryption key, which every
 * replica already shares, needs no new setting; the label keeps it apart from the KEK's other uses.
 */
export function dpopNonceSecretOf(keyEncryptionKey: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'tessera dpop nonce', 32),
  );
}

/**
 * `features.dPoP` (RFC 9449). oidc-provider 9 validates proofs at the token endpoint for every
 * grant (lib/helpers/validate_dpop.js), binds the access token to the proof key (`jkt`, JWT
 * `cnf.jkt`, `token_type: DPoP`), binds public clients' refresh tokens to it
 * (lib/helpers/set_rt_bindings.js, RFC 9449 section 5) and records each proof's `jti` through the
 * ReplayDetection model (made atomic across replicas by replay-detection.ts).
 *
 * Nonces are always offered: a response to a request with a proof carries `DPoP-Nonce`, and a
 * proof whose `iat` is too far from the server's clock is answered `use_dpop_nonce` with a nonce
 * (a way out for clients with a skewed clock) instead of a dead-end `invalid_dpop_proof`. They are
 * required only with TESSERA_DPOP_REQUIRE_NONCE: that limits pre-computed proofs (RFC 9449
 * section 11.2) at the cost of one extra round trip per client and nonce change (about a minute).
 *
 * A request without a `DPoP` header costs one header lookup: validateDpop returns before any
 * nonce or key work (the client-credentials hot path).
 */
export function createDpopFeature(config: Config) {
  const { requireNonce } = config.dpop;
  return {
    enabled: true,
    nonceSecret: dpopNonceSecretOf(config.secrets.keyEncryptionKey),
    requireNonce: () => requireNonce,
    allowReplay: false,
  };
}
