/** The timing rules of the key lifecycle, in milliseconds (docs/signing-keys.md#lifecycle). */
export interface KeySchedule {
  /** How long a generation signs before the next one takes over. */
  readonly rotationIntervalMs: number;
  /** How long a `next` key must have been served by every replica before it may sign. */
  readonly publicationLeadMs: number;
  /**
   * Bound on how long a change in the store takes to reach every replica: one poll. A key written
   * at t is served everywhere by t + propagation, and a replica may still sign with a key retired
   * at t until t + propagation.
   */
  readonly propagationMs: number;
  /** The longest lifetime of anything a key signs (see maxTokenLifetimeSeconds). */
  readonly maxTokenLifetimeMs: number;
  /** Margin beyond the longest token lifetime for verifiers' clock skew. */
  readonly retirementGraceMs: number;
}

/** The TTLs (seconds) that bound how long a signed token stays valid. */
export interface SignedTokenTtls {
  readonly accessTokenTtl: number;
  readonly clientCredentialsTtl: number;
  readonly idTokenTtl: number;
  /** Cap on a resource server's own access-token TTL (resource-server-service.ts). */
  readonly resourceServerMaxTtl: number;
}

/**
 * The longest a token signed by Tessera can stay valid, in seconds: the largest of the TTLs that
 * set `exp` on a signed JWT. Access tokens take a resource server's TTL when it has one, and any
 * resource server may be configured up to its cap at any moment, so the cap counts rather than
 * the TTLs configured today. Signed responses (JWT introspection/userinfo, logout tokens) are
 * consumed on receipt and never outlive these. Refresh tokens and codes are opaque, not signed.
 */
export function maxTokenLifetimeSeconds(ttls: SignedTokenTtls): number {
  return Math.max(
    ttls.accessTokenTtl,
    ttls.clientCredentialsTtl,
    ttls.idTokenTtl,
    ttls.resourceServerMaxTtl,
  );
}

/** The configured schedule, in seconds (`config.keys`: TESSERA_KEY_* in docs/configuration.md). */
export interface KeyTimings {
  readonly rotationInterval: number;
  readonly publicationLead: number;
  readonly retirementGrace: number;
  readonly pollInterval: number;
}

export function createKeySchedule(keys: KeyTimings, ttls: SignedTokenTtls): KeySchedule {
  return {
    rotationIntervalMs: keys.rotationInterval * 1000,
    publicationLeadMs: keys.publicationLead * 1000,
    propagationMs: keys.pollInterval * 1000,
    maxTokenLifetimeMs: maxTokenLifetimeSeconds(ttls) * 1000,
    retirementGraceMs: keys.retirementGrace * 1000,
  };
}

/** When a `next` key created at `createdAt` has been served everywhere for the lead time. */
export function promotableAt(createdAt: number, schedule: KeySchedule): number {
  return createdAt + schedule.propagationMs + schedule.publicationLeadMs;
}

/** When nothing a key retired at `retiredAt` signed can still be valid anywhere. */
export function deletableAt(retiredAt: number, schedule: KeySchedule): number {
  return (
    retiredAt + schedule.propagationMs + schedule.maxTokenLifetimeMs + schedule.retirementGraceMs
  );
}

/** When the generation activated at `activatedAt` is due to be replaced. */
export function rotationDueAt(activatedAt: number, schedule: KeySchedule): number {
  return activatedAt + schedule.rotationIntervalMs;
}
