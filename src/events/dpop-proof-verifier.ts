import { createHash, timingSafeEqual } from 'node:crypto';

import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';

/**
 * The error codes of RFC 9449 section 7.1: `invalid_dpop_proof` when the proof is missing or
 * fails a check of section 4.3; `invalid_token` when the proof is fine but the access token is not
 * bound to its key (`cnf.jkt`, section 6.1).
 */
export type DpopErrorCode = 'invalid_dpop_proof' | 'invalid_token';

/** What Tessera's token endpoint accepts (its dpop_signing_alg_values_supported). */
const DEFAULT_ALGORITHMS: readonly string[] = ['ES256', 'Ed25519', 'EdDSA'];

/** Why a DPoP-bound request was refused; answer it with 401 and `wwwAuthenticate()`. */
export class DpopProofError extends Error {
  override readonly name = 'DpopProofError';
  /** The HTTP status RFC 9449 section 7.1 answers both codes with. */
  readonly status = 401;
  readonly error: DpopErrorCode;
  readonly description: string;

  constructor(error: DpopErrorCode, description: string, options?: { cause?: unknown }) {
    super(`${error}: ${description}`, options);
    this.error = error;
    this.description = description;
  }

  /** The `WWW-Authenticate` challenge for this refusal (RFC 9449 section 7.1). */
  wwwAuthenticate(algorithms: readonly string[] = DEFAULT_ALGORITHMS): string {
    const quoted = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    return (
      `DPoP error=${quoted(this.error)}, error_description=${quoted(this.description)}, ` +
      `algs=${quoted(algorithms.join(' '))}`
    );
  }
}

export interface DpopProofVerifierOptions {
  /** Proof algorithms accepted; asymmetric only (RFC 9449 section 4.3). Default Tessera's. */
  readonly algorithms?: readonly string[];
  /** How far (seconds) a proof's `iat` may be from the clock, either way. Default 60. */
  readonly iatWindowSeconds?: number;
  /**
   * The most proofs remembered at once for replay detection (each until its `iat` window has
   * passed). When that many unexpired proofs are held, further proofs are refused until the
   * oldest expire: a replay is never let through to save memory. Default 100 000.
   */
  readonly maxRememberedProofs?: number;
  /** Epoch milliseconds; default Date.now. */
  readonly clock?: () => number;
}

/** One request to a protected resource that presents a DPoP-bound access token. */
export interface DpopRequest {
  /** The `DPoP` request header, as received. */
  readonly proof: string | undefined;
  /** The access token, as presented in `Authorization: DPoP <token>`. */
  readonly accessToken: string;
  /** The access token's claims, after verifying it (signature, `iss`, `aud`, `exp`). */
  readonly accessTokenClaims: Readonly<Record<string, unknown>>;
  /** The request's method, e.g. `GET`. */
  readonly method: string;
  /** The absolute URL the request was addressed to, as the client sees this API. */
  readonly url: string | URL;
}

export interface VerifiedDpopProof {
  /** The proof key's RFC 7638 thumbprint, equal to the token's `cnf.jkt`. */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
}

export interface DpopProofVerifier {
  /** Resolves when the proof holds; rejects with DpopProofError naming what failed. */
  verify(request: DpopRequest): Promise<VerifiedDpopProof>;
  /** Proofs remembered for replay detection, expired ones included until the next sweep. */
  readonly size: number;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The form of a URL that `htu` is compared in (RFC 9449 section 4.3): without query and
 * fragment, after syntax- and scheme-based normalisation (RFC 3986 sections 6.2.2 and 6.2.3).
 * WHATWG URL parsing lowercases scheme and host, drops the scheme's default port, removes dot
 * segments and turns an empty path into `/`; left is percent-encoding: unreserved characters
 * decoded, other escapes in upper case. Undefined for anything but an http(s) URL.
 */
export function normalizeHtu(value: string | URL): string | undefined {
  const url = URL.parse(value instanceof URL ? value.href : value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

/** The token of an `Authorization: DPoP <token>` header (RFC 9449 section 7.1), else undefined. */
export function readDpopAuthorization(header: string | undefined): string | undefined {
  const match = /^DPoP +([\w\-.~+/]+=*)$/i.exec(header ?? '');
  return match?.[1];
}

/** base64url(SHA-256(ASCII(access token))): a proof's `ath` (RFC 9449 section 4.2). */
const athOf = (accessToken: string) =>
  createHash('sha256').update(accessToken, 'ascii').digest('base64url');

/** Constant-time equality of two strings. */
function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function fail(description: string, cause?: unknown): never {
  throw new DpopProofError('invalid_dpop_proof', description, { cause });
}

const SWEEP_EVERY = 1_000;
/** Longer `jti`s are refused: they would only make the replay memory larger. */
const MAX_JTI_LENGTH = 256;

/**
 * Checks the DPoP proof that comes with a DPoP-bound access token at a resource server, as RFC
 * 9449 section 4.3 lists the checks: one well-formed `dpop+jwt`, signed with an accepted
 * asymmetric algorithm by the public key in its `jwk` header; `htm` and `htu` naming this
 * request; `iat` within the window; `ath` the hash of this access token; a `jti` not seen before
 * (section 11.1, remembered in memory, per key); and the token's `cnf.jkt` the proof key's
 * thumbprint (section 6.1). Nonces (section 9) are not used. The access token itself is for the
 * caller to verify first (its signature and claims, and the revocation list).
 */
export function createDpopProofVerifier(options: DpopProofVerifierOptions = {}): DpopProofVerifier {
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  const windowSeconds = options.iatWindowSeconds ?? 60;
  const capacity = options.maxRememberedProofs ?? 100_000;
  const clock = options.clock ?? Date.now;
  /** `<jkt>:<jti>` → epoch ms after which the proof's `iat` no longer passes anyway. */
  const seen = new Map<string, number>();
  let addedSinceSweep = 0;

  const sweep = () => {
    const now = clock();
    for (const [entry, until] of seen) if (until <= now) seen.delete(entry);
    addedSinceSweep = 0;
  };

  /** True when the proof is new, and remembers it. */
  const remember = (entry: string, until: number): boolean => {
    const known = seen.get(entry);
    if (known !== undefined && known > clock()) return false;
    if (seen.size >= capacity || (addedSinceSweep += 1) >= SWEEP_EVERY) sweep();
    if (seen.size >= capacity) fail('too many recent proofs to check for replay; retry shortly');
    seen.set(entry, until);
    return true;
  };

  const verifySignature = async (proof: string) => {
    try {
      return await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms,
        currentDate: new Date(clock()),
      });
    } catch (cause) {
      return fail('the DPoP proof is not a valid dpop+jwt signed by its jwk', cause);
    }
  };

  return {
    async verify(request) {
      const { proof } = request;
      if (typeof proof !== 'string' || proof === '') fail('the DPoP proof is missing');
      const { payload, protectedHeader } = await verifySignature(proof);
      const { jti, htm, htu, iat, ath }: Record<string, unknown> = payload;
      if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
        fail('the DPoP proof has no usable jti');
      }
      if (htm !== request.method) fail('the DPoP proof is for another HTTP method (htm)');
      const expectedHtu = normalizeHtu(request.url);
      if (typeof htu !== 'string' || !expectedHtu || normalizeHtu(htu) !== expectedHtu) {
        fail('the DPoP proof is for another URL (htu)');
      }
      const now = clock() / 1000;
      if (typeof iat !== 'number' || !Number.isFinite(iat) || Math.abs(now - iat) > windowSeconds) {
        fail('the DPoP proof was not issued recently (iat)');
      }
      if (typeof ath !== 'string' || !same(ath, athOf(request.accessToken))) {
        fail('the DPoP proof is for another access token (ath)');
      }
      const jkt = await calculateJwkThumbprint(protectedHeader.jwk as JWK);
      const cnf = request.accessTokenClaims.cnf as { jkt?: unknown } | undefined;
      if (typeof cnf?.jkt !== 'string' || !same(cnf.jkt, jkt)) {
        throw new DpopProofError(
          'invalid_token',
          'the access token is not bound to the DPoP proof key (cnf.jkt)',
        );
      }
      // Last, so that only proofs that pass every other check take up memory.
      if (!remember(`${jkt}:${jti}`, (iat + windowSeconds) * 1000)) {
        fail('the DPoP proof was used before (jti)');
      }
      return { jkt, jti, iat };
    },
    get size() {
      return seen.size;
    },
  };
}
