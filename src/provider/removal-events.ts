import { createHash } from 'node:crypto';

import type { KoaContextWithOIDC } from 'oidc-provider';

import type { EventFactory } from '../events/event-factory.ts';
import type { EventData } from '../events/event-schema.ts';
import type { OidcModelName, OidcPayload } from '../ports/oidc-models.ts';
import type { OutboxEvent } from '../ports/outbox.ts';
import { tokenHashOf } from './stored-token-keys.ts';

export type RevocationReason = EventData<'tessera.grant.revoked'>['reason'];
type SessionEndReason = EventData<'tessera.session.ended'>['reason'];

/** Marks the records of JWT access tokens (jwt-access-token-records.ts) among AccessTokens. */
export const JWT_RECORD_FORMAT = 'jwt';

/** Models whose removal revokes something a client or resource server holds. */
const TOKEN_TYPES: Partial<Record<OidcModelName, 'access_token' | 'refresh_token'>> = {
  AccessToken: 'access_token',
  ClientCredentials: 'access_token',
  RefreshToken: 'refresh_token',
};

/**
 * Why oidc-provider removes tokens in the request it is serving (it runs every request inside
 * an AsyncLocalStorage, lib/helpers/initialize_app.js, exposed as `Provider.ctx`):
 * - the revocation endpoint destroys the token and revokes its grant (lib/actions/revocation.js);
 * - the token endpoint removes tokens only when a used refresh token or code comes back
 *   (lib/actions/grants/refresh_token.js, lib/helpers/grant_source.js; our consume race too);
 * - a confirmed logout revokes the grants of the session's clients (lib/actions/end_session.js).
 */
export function revocationReasonOf(ctx: KoaContextWithOIDC | undefined): RevocationReason {
  switch (ctx?.oidc.route) {
    case 'revocation':
      return 'revocation_endpoint';
    case 'token':
      return ctx.oidc.params?.['grant_type'] === 'refresh_token'
        ? 'refresh_token_reuse'
        : 'code_reuse';
    case 'end_session':
    case 'end_session_confirm':
      return 'logout';
    default:
      return 'other';
  }
}

/** base64url(SHA-256(value)): how an opaque token appears in events (`token_hash`). */
export function hashOpaqueToken(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

const stringOrNull = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** What oidc-provider keeps of one client in a Session (lib/models/session.js). */
interface SessionAuthorization {
  readonly sid?: unknown;
}

/**
 * Builds the events announcing what oidc-provider's adapter removes — `tessera.token.revoked`,
 * `tessera.grant.revoked`, `tessera.session.ended` — from the payloads the removal takes away
 * (RemovalOptions.eventsFor), so each event is recorded by the removal's own write.
 */
export function createRemovalEvents(newEvent: EventFactory) {
  /** `tessera.token.revoked` for a JWT access token, keyed by its subject or else its client. */
  const jwtRevoked = (
    jwt: { jti: string; clientId: string; sub: string | null; grantId: string | null },
    exp: number | null,
    reason: RevocationReason,
  ): OutboxEvent =>
    newEvent({
      type: 'tessera.token.revoked',
      subject: jwt.sub ?? jwt.clientId,
      data: {
        token_type: 'access_token',
        format: 'jwt',
        jti: jwt.jti,
        client_id: jwt.clientId,
        sub: jwt.sub,
        grant_id: jwt.grantId,
        exp,
        reason,
      },
    });

  const tokenRevoked = (
    tokenType: 'access_token' | 'refresh_token',
    id: string,
    payload: OidcPayload,
    reason: RevocationReason,
  ): OutboxEvent | undefined => {
    const clientId = stringOrNull(payload['clientId']);
    // Without a client the record is not a token oidc-provider issued; nothing to announce.
    if (!clientId) return undefined;
    const sub = stringOrNull(payload['sub']) ?? stringOrNull(payload['accountId']);
    const grantId = stringOrNull(payload.grantId);
    const exp = typeof payload['exp'] === 'number' ? payload['exp'] : null;
    if (payload['format'] === JWT_RECORD_FORMAT) {
      return jwtRevoked({ jti: id, clientId, sub, grantId }, exp, reason);
    }
    return newEvent({
      type: 'tessera.token.revoked',
      subject: sub ?? clientId,
      data: {
        token_type: tokenType,
        format: 'opaque',
        token_hash: tokenHashOf(id),
        client_id: clientId,
        sub,
        grant_id: grantId,
        exp,
        reason,
      },
    });
  };

  return {
    /**
     * `tessera.token.revoked` for a client-credentials JWT access token revoked on its own,
     * which no stored record names (src/provider/jwt-access-token-revocation.ts).
     */
    clientCredentialsJwtRevoked(
      jwt: { jti: string; clientId: string; exp: number },
      reason: RevocationReason,
    ): OutboxEvent {
      return jwtRevoked({ ...jwt, sub: null, grantId: null }, jwt.exp, reason);
    },

    /** Events for the tokens of `model` that a removal took away; none for other models. */
    tokensRevoked(
      model: OidcModelName,
      removed: readonly OidcPayload[],
      reason: RevocationReason,
    ): OutboxEvent[] {
      const tokenType = TOKEN_TYPES[model];
      if (!tokenType) return [];
      return removed.flatMap((payload) => {
        const id = stringOrNull(payload['jti']);
        const event = id ? tokenRevoked(tokenType, id, payload, reason) : undefined;
        return event ? [event] : [];
      });
    },

    /**
     * `tessera.session.ended` for a Session removed by a confirmed logout (or by an
     * administrator's change to its account), with the OIDC `sid` each client's ID tokens carry
     * (OIDC Back-Channel Logout 1.0 section 2.1), so a relying party can find the sessions it
     * holds for it.
     */
    sessionsEnded(
      removed: readonly OidcPayload[],
      clientId: string | undefined,
      reason: SessionEndReason = 'logout',
    ): OutboxEvent[] {
      return removed.flatMap((payload) => {
        const accountId = stringOrNull(payload['accountId']);
        if (!accountId) return [];
        const authorizations = (payload['authorizations'] ?? {}) as Record<
          string,
          SessionAuthorization
        >;
        const clients = Object.entries(authorizations).flatMap(([client, authorization]) => {
          const sid = stringOrNull(authorization.sid);
          return sid ? [{ client_id: client, sid }] : [];
        });
        return [
          newEvent({
            type: 'tessera.session.ended',
            subject: accountId,
            data: {
              account_id: accountId,
              client_id: clientId ?? null,
              reason,
              sid: clients.find((entry) => entry.client_id === clientId)?.sid ?? null,
              clients,
            },
          }),
        ];
      });
    },

    /** `tessera.grant.revoked` for each removed Grant. */
    grantsRevoked(removed: readonly OidcPayload[], reason: RevocationReason): OutboxEvent[] {
      return removed.flatMap((payload) => {
        const grantId = stringOrNull(payload['jti']);
        const clientId = stringOrNull(payload['clientId']);
        if (!grantId || !clientId) return [];
        const sub = stringOrNull(payload['accountId']);
        return [
          newEvent({
            type: 'tessera.grant.revoked',
            subject: sub ?? clientId,
            data: { grant_id: grantId, client_id: clientId, sub, reason },
          }),
        ];
      });
    },
  };
}

export type RemovalEvents = ReturnType<typeof createRemovalEvents>;
