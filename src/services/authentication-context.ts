/**
 * How a person authenticated, as the ID token states it (OIDC Core section 2):
 *
 * - `amr`, the methods used: values of the IANA "Authentication Method Reference Values" registry
 *   (RFC 8176 section 2). Tessera's sign-in checks a password, `pwd`, then, when the account
 *   has one, a second factor: `otp` for an authenticator app's code or a recovery code, with
 *   `mfa`; a passkey is `hwk` (or `swk`, when it may be synced) with `user`.
 * - `acr`, the authentication context class the methods achieved. OIDC Core section 2 asks for
 *   an absolute URI or an RFC 6711 registered name, and defines only `0` (below ISO/IEC 29115
 *   level 1, e.g. a long-lived cookie alone), which no Tessera sign-in is: a session carries the
 *   acr of the sign-in that started it, and RPs judge its age by `auth_time`. No registered name
 *   describes "one factor, a password" without claiming a whole assurance framework (NIST
 *   SP 800-63 AAL, eIDAS), so Tessera names its classes with URIs of its own, by what was
 *   achieved rather than by method, so that another single-factor method would share the class.
 *
 * The classes: single-factor, multi-factor, and OpenID Connect EAP ACR Values 1.0 `phr` for a
 * passkey (phishing-resistant; not `phrh`, as a passkey may be synced). Only what Tessera can
 * achieve is listed: `acr_values_supported` in discovery is
 * exactly SUPPORTED_ACR_VALUES, and an Essential acr request for anything else fails at once.
 */

/** RFC 8176 section 2 method names Tessera's sign-in uses. */
export type AuthenticationMethod = 'pwd' | 'otp' | 'mfa' | 'hwk' | 'swk' | 'user';

/** Tessera's authentication context classes, lowest first. */
export const ACR = {
  /** One factor, something the person knows (a password). */
  singleFactor: 'urn:tessera:acr:single-factor',
  /** Two factors: a password and a one-time code (an authenticator app or a recovery code). */
  multiFactor: 'urn:tessera:acr:multi-factor',
  /**
   * Phishing-resistant: a passkey, bound to the issuer's origin (OpenID Connect EAP ACR Values
   * 1.0 `phr`).
   */
  phishingResistant: 'phr',
} as const;

export type AcrValue = (typeof ACR)[keyof typeof ACR];

/** Every class a sign-in can achieve today: discovery's `acr_values_supported`. */
export const SUPPORTED_ACR_VALUES: readonly AcrValue[] = [
  ACR.singleFactor,
  ACR.multiFactor,
  ACR.phishingResistant,
];

/** What a sign-in achieved: the ID token's `acr` and `amr` (oidc-provider's login result). */
export interface AuthenticationContext {
  readonly acr: AcrValue;
  /** RFC 8176 values, in the order they were performed, each once. */
  readonly amr: readonly AuthenticationMethod[];
}

/** The context a sign-in by `methods` achieved. */
export function achievedContext(
  methods: readonly [AuthenticationMethod, ...AuthenticationMethod[]],
): AuthenticationContext {
  const amr = [...new Set(methods)];
  // A passkey (`hwk`/`swk`) is origin-bound whatever else was used; RFC 8176 `mfa`: the methods
  // were more than one factor.
  if (amr.includes('hwk') || amr.includes('swk')) return { acr: ACR.phishingResistant, amr };
  return { acr: amr.includes('mfa') ? ACR.multiFactor : ACR.singleFactor, amr };
}

/** Whether Tessera can ever achieve `acr` (an Essential request for any other must fail). */
export const isSupportedAcr = (acr: string): acr is AcrValue =>
  (SUPPORTED_ACR_VALUES as readonly string[]).includes(acr);
