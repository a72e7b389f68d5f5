import type { EventFactory } from '../events/event-factory.ts';
import type { ClientDeletionOptions, ClientRecord, ClientStore } from '../ports/clients.ts';
import {
  CLIENT_BOUND_MODELS,
  type ClientBoundModel,
  type OidcModelStore,
} from '../ports/oidc-models.ts';
import { AppError } from './app-error.ts';

export interface ClientTokenRevocationDeps {
  readonly clients: ClientStore;
  /** Where what the client holds is removed: the same store operation as its deletion's. */
  readonly models: OidcModelStore;
  readonly newEvent: EventFactory;
  readonly clock: () => number;
  /** Events announcing what is removed (provider/grant-revocation.ts, clientHoldingsEventsFor). */
  readonly holdingsEventsFor: NonNullable<ClientDeletionOptions['eventsFor']>;
  /**
   * The longest access-token TTL Tessera may issue (seconds): no token issued at or before the
   * revocation can be valid once that much time has passed (`tokens_valid_until`).
   */
  readonly longestAccessTokenTtl: number;
}

/** What revoking every token of a client did. */
export interface ClientTokensRevoked {
  readonly clientId: string;
  /** Epoch seconds: tokens issued to the client with `iat` at or before this are revoked. */
  readonly issuedBefore: number;
  /** Epoch seconds after which none of them can be valid any more. */
  readonly tokensValidUntil: number;
  /** How many instances of each client-bound model were removed from the store. */
  readonly removed: Readonly<Record<ClientBoundModel, number>>;
}

/** Rounds of read and compare-and-set before answering conflict: only concurrent edits lose one. */
const ATTEMPTS = 5;

/**
 * Revokes everything a client holds, keeping the client (incident response to a leaked secret):
 *
 * 1. The client record takes the cut-off (`tokensRevokedAt`, a new version) and
 *    `tessera.client.tokens_revoked` in one write. From then on Tessera's introspection refuses
 *    the client's JWT access tokens issued at or before it
 *    (src/provider/jwt-access-token-revocation.ts), on other replicas once their catalog cache
 *    drops the client (docs/benchmarks.md "Performance"), and the event lets resource servers
 *    that verify JWTs themselves do the same (tessera/events).
 * 2. Every grant, refresh token, opaque access token, JWT record and code of the client is
 *    removed, model by model (OidcModelStore.revokeByClientId, as the client's deletion does on
 *    MongoDB), each removal recording its `tessera.token.revoked` / `tessera.grant.revoked`
 *    events (reason `client_tokens_revoked`) in its own write.
 *
 * The cut-off goes first so that the JWTs, which no store removal reaches, are cut off even if
 * a removal then fails. A revocation cut short by a failure is completed by repeating it (a new
 * cut-off, at least as late, and the removals find what is left).
 */
export function createClientTokenRevoker(deps: ClientTokenRevocationDeps) {
  const { clients, clock } = deps;

  const cutOff = async (clientId: string): Promise<{ issuedBefore: number }> => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const current = await clients.get(clientId);
      if (!current) throw new AppError('not_found', `client ${clientId} does not exist`);
      const now = clock();
      // `iat` has one-second resolution (RFC 7519 NumericDate): this second counts as before.
      const issuedBefore = Math.max(Math.floor(now / 1000), current.tokensRevokedAt ?? 0);
      const next: ClientRecord = {
        ...current,
        tokensRevokedAt: issuedBefore,
        updatedAt: now,
        version: current.version + 1,
      };
      const saved = await clients.update(next, {
        events: [
          deps.newEvent({
            type: 'tessera.client.tokens_revoked',
            subject: clientId,
            data: {
              client_id: clientId,
              issued_before: issuedBefore,
              tokens_valid_until: issuedBefore + deps.longestAccessTokenTtl,
            },
          }),
        ],
      });
      if (saved) return { issuedBefore };
    }
    throw new AppError('conflict', `client ${clientId} kept changing meanwhile; retry`);
  };

  return async function revokeClientTokens(clientId: string): Promise<ClientTokensRevoked> {
    const { issuedBefore } = await cutOff(clientId);
    const removed = {} as Record<ClientBoundModel, number>;
    // Tokens first, grants last, as oidc-provider's lib/helpers/revoke.js orders them.
    for (const model of CLIENT_BOUND_MODELS) {
      const gone = await deps.models.revokeByClientId(model, clientId, {
        eventsFor: (payloads) => deps.holdingsEventsFor(model, payloads),
      });
      removed[model] = gone.length;
    }
    return {
      clientId,
      issuedBefore,
      tokensValidUntil: issuedBefore + deps.longestAccessTokenTtl,
      removed,
    };
  };
}

export type ClientTokenRevoker = ReturnType<typeof createClientTokenRevoker>;
