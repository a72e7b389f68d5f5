import { allowedScopesOf } from './client-metadata.ts';
import type { ProviderHolder } from './provider-holder.ts';

/** What a valid client-credentials access token says about its bearer. */
export interface ClientCredentialsTokenInfo {
  readonly clientId: string;
  /** Granted scopes that the client is still allowed today. */
  readonly scopes: ReadonlySet<string>;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export type ClientCredentialsTokenLookup = (
  value: string,
) => Promise<ClientCredentialsTokenInfo | undefined>;

/**
 * Recognises Tessera's own opaque client-credentials access tokens, for the APIs Tessera serves
 * itself (the admin API). Only `ClientCredentials` tokens count, never end-user `AccessToken`s:
 * the admin API is for services, not for people signed in somewhere.
 */
export function createClientCredentialsTokenLookup(deps: {
  readonly holder: ProviderHolder;
  readonly clock: () => number;
}): ClientCredentialsTokenLookup {
  return async (value) => {
    const { provider } = deps.holder.current();
    // find() verifies the stored payload, including expiry with oidc-provider's clock tolerance
    // (lib/models/formats/opaque.js); JWT-format tokens are never stored and so never found.
    const token = await provider.ClientCredentials.find(value);
    if (!token) return undefined;
    // A token bound to a DPoP key or certificate needs its proof checked, which only the
    // provider's own endpoints do; a token minted for a resource server (RFC 8707 `aud`) is for
    // that API, not for Tessera.
    const { clientId } = token;
    if (!clientId || token.isSenderConstrained() || token.aud !== undefined) return undefined;
    const expiresAt = token.exp ?? 0;
    if (expiresAt * 1000 <= deps.clock()) return undefined;
    // The client may have been deleted or lost its admin scope since the token was issued.
    const client = await provider.Client.find(clientId);
    if (!client) return undefined;
    const allowed = allowedScopesOf(client);
    const scopes = new Set([...token.scopes].filter((scope) => allowed.has(scope)));
    return { clientId, scopes, expiresAt };
  };
}
