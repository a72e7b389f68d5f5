import { createHash } from 'node:crypto';

import type { TesseraEvent } from './event-schema.ts';

export interface RevocationListOptions {
  readonly clock?: () => number;
  /**
   * How long to deny a revoked token whose event carries no `exp`, or the tokens of a deleted
   * client whose event carries no `tokens_valid_until` (seconds). Tessera sends both; this
   * bounds memory for events that might not (a deleted client's, from a Tessera older than the
   * field).
   */
  readonly fallbackTtlSeconds?: number;
}

/** The claims of a verified JWT access token that the list looks at (RFC 9068 section 2.2). */
export interface AccessTokenClaims {
  readonly jti?: unknown;
  readonly client_id?: unknown;
  readonly iat?: unknown;
}

/**
 * A deny-list of revoked tokens, fed with `tessera.token.revoked` events (one token each),
 * `tessera.client.deleted` events (every token of the client) and
 * `tessera.client.tokens_revoked` events (every token the client was issued up to a second),
 * for a resource server that verifies JWT access tokens locally (and so would otherwise accept a
 * revoked one until its `exp`). Entries leave once the tokens they deny have expired anyway.
 * Feeding it an event twice, in any order, or any other event, is harmless.
 */
export interface RevocationList {
  /** Takes note of what `event` revokes; returns true when it added or widened an entry. */
  apply(event: TesseraEvent): boolean;
  /**
   * The check for a verified JWT access token: true while its `jti` is revoked, its `client_id`
   * names a deleted client, or its client's tokens were revoked at or after its `iat`. A token
   * without a string `jti` counts as revoked, and so does one without a numeric `iat` of a
   * client whose tokens were revoked.
   */
  isAccessTokenRevoked(claims: AccessTokenClaims): boolean;
  /** True while the JWT access token with this `jti` is revoked and not yet expired. */
  isRevoked(jti: string): boolean;
  /** The same for an opaque token (e.g. one whose introspection result you cache), by value. */
  isOpaqueTokenRevoked(token: string): boolean;
  /** True while a token issued to this deleted client may still be unexpired. */
  isClientDeleted(clientId: string): boolean;
  /**
   * True while a token issued to this client at `issuedAt` (epoch seconds, its `iat`) is revoked
   * by a revocation of all the client's tokens (`tessera.client.tokens_revoked`).
   */
  isIssuedBeforeClientRevocation(clientId: string, issuedAt: number): boolean;
  /** Entries held, expired ones included until the next sweep. */
  readonly size: number;
}

const SWEEP_EVERY = 1_000;

/** Every token of a client issued at or before `issuedBefore` (epoch s) is denied until `until`. */
interface ClientCutoff {
  readonly issuedBefore: number;
  readonly until: number;
}

export function createRevocationList(options: RevocationListOptions = {}): RevocationList {
  const clock = options.clock ?? Date.now;
  const fallbackTtlMs = (options.fallbackTtlSeconds ?? 86_400) * 1000;
  /** `jti:<jti>`, `hash:<sha-256>` or `client:<client id>` → epoch ms the entry may go after. */
  const denied = new Map<string, number>();
  /** Client id → its latest revocation of all tokens. */
  const cutoffs = new Map<string, ClientCutoff>();
  let addedSinceSweep = 0;

  const sweep = () => {
    const now = clock();
    for (const [entry, until] of denied) if (until <= now) denied.delete(entry);
    for (const [clientId, cutoff] of cutoffs) if (cutoff.until <= now) cutoffs.delete(clientId);
    addedSinceSweep = 0;
  };
  const added = () => {
    if ((addedSinceSweep += 1) >= SWEEP_EVERY) sweep();
    return true;
  };

  const has = (entry: string) => {
    const until = denied.get(entry);
    return until !== undefined && until > clock();
  };

  const deny = (entry: string, until: number) => {
    if (until <= clock()) return false;
    denied.set(entry, Math.max(until, denied.get(entry) ?? 0));
    return added();
  };

  /**
   * Widens the client's cut-off. Taking the later second and the later end of both events is
   * right in either arrival order: every token at or before the later second is revoked by that
   * event, and denying a revoked token longer than needed denies nothing valid.
   */
  const cutOff = (clientId: string, issuedBefore: number, until: number) => {
    if (until <= clock()) return false;
    const known = cutoffs.get(clientId);
    if (known && known.issuedBefore >= issuedBefore && known.until >= until) return false;
    cutoffs.set(clientId, {
      issuedBefore: Math.max(issuedBefore, known?.issuedBefore ?? issuedBefore),
      until: Math.max(until, known?.until ?? until),
    });
    return added();
  };

  const isIssuedBeforeClientRevocation = (clientId: string, issuedAt: unknown) => {
    const cutoff = cutoffs.get(clientId);
    if (!cutoff || cutoff.until <= clock()) return false;
    return typeof issuedAt !== 'number' || issuedAt <= cutoff.issuedBefore;
  };

  return {
    apply(event) {
      if (event.type === 'tessera.client.deleted') {
        // An older Tessera's event says nothing: the fallback counts from the deletion.
        const until = event.data.tokens_valid_until;
        return deny(
          `client:${event.data.client_id}`,
          until === undefined ? Date.parse(event.time) + fallbackTtlMs : until * 1000,
        );
      }
      if (event.type === 'tessera.client.tokens_revoked') {
        const { client_id: clientId, issued_before: issuedBefore } = event.data;
        return cutOff(clientId, issuedBefore, event.data.tokens_valid_until * 1000);
      }
      if (event.type !== 'tessera.token.revoked') return false;
      const { data } = event;
      return deny(
        data.format === 'jwt' ? `jti:${data.jti}` : `hash:${data.token_hash}`,
        data.exp === null ? clock() + fallbackTtlMs : data.exp * 1000,
      );
    },
    isAccessTokenRevoked: (claims) =>
      typeof claims.jti !== 'string' ||
      has(`jti:${claims.jti}`) ||
      (typeof claims.client_id === 'string' &&
        (has(`client:${claims.client_id}`) ||
          isIssuedBeforeClientRevocation(claims.client_id, claims.iat))),
    isRevoked: (jti) => has(`jti:${jti}`),
    isClientDeleted: (clientId) => has(`client:${clientId}`),
    isIssuedBeforeClientRevocation: (clientId, issuedAt) =>
      isIssuedBeforeClientRevocation(clientId, issuedAt),
    isOpaqueTokenRevoked: (token) =>
      has(`hash:${createHash('sha256').update(token, 'utf8').digest('base64url')}`),
    get size() {
      return denied.size + cutoffs.size;
    },
  };
}
