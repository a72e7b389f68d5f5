import { errors } from 'oidc-provider';

/** The client asking to revoke: it authenticated at the revocation endpoint. */
export interface RevokingClient {
  readonly clientId: string;
  readonly clientAuthMethod?: string | undefined;
}

/**
 * RFC 7009 section 2.1: a client may revoke only tokens issued to it. A confidential client
 * presenting another client's token is refused with unauthorized_client (section 2.2.1); a
 * public client, which proves no identity, gets the plain 200 as for an unknown token. The one
 * rule for opaque tokens (features.revocation.allowedPolicy) and JWTs
 * (jwt-access-token-requests.ts) alike.
 */
export function mayRevoke(client: RevokingClient, tokenClientId: string | undefined): boolean {
  if (tokenClientId === client.clientId) return true;
  if (client.clientAuthMethod === 'none') return false;
  throw new errors.UnauthorizedClient('the token was not issued to this client');
}
