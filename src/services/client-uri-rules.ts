import type { ClientMetadata } from '../ports/clients.ts';
import { AppError } from './app-error.ts';
import { loopbackRedirectWithoutPort } from './loopback-redirect-uris.ts';

/**
 * RFC 8252 section 7.3: a native app may receive its redirect on a loopback address over plain
 * http, since the request never leaves the device (section 8.3). `localhost` is left out on
 * purpose: section 8.3 calls it NOT RECOMMENDED, as the name is exposed to misconfigured host
 * name resolution and may have the app listen on other interfaces than the loopback one. The
 * address must be written as the authorization endpoint recognises it, whose port it then
 * leaves free (loopback-redirect-uris.ts): `127.1` or user info would register a URI that
 * only ever matches exactly.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

/** Where the browser is sent back to, with a code or after logout: loopback http allowed. */
const REDIRECT_FIELDS = ['redirect_uris', 'post_logout_redirect_uris'] as const;
/** What Tessera itself calls or fetches from: https only. */
const SERVER_FIELDS = ['jwks_uri', 'backchannel_logout_uri'] as const;

/**
 * In production (NODE_ENV=production), a client's URIs must use https. Redirects carry
 * authorization codes and logout state (RFC 6749 section 3.1.2.1: the redirection endpoint
 * SHOULD require TLS); the back-channel logout URI receives logout tokens (OIDC Back-Channel
 * Logout 1.0 section 2.2: https, http only where the OP allows it); a jwks_uri fetched over
 * http lets anyone on the path swap in their own keys and sign in as the client. The one
 * exception: a native client's loopback redirect. Development accepts http anywhere. URIs that
 * do not parse are left to oidc-provider's own validation, which names them.
 */
export function checkClientUris(metadata: ClientMetadata, options: { production: boolean }): void {
  if (!options.production) return;
  const native = metadata.application_type === 'native';
  for (const field of REDIRECT_FIELDS) {
    for (const uri of urisOf(metadata[field])) {
      const url = URL.parse(uri);
      if (url?.protocol !== 'http:') continue;
      if (native && loopbackRedirectWithoutPort(uri) !== undefined) continue;
      throw new AppError('validation_failed', redirectProblem(field, uri, url, native), { field });
    }
  }
  for (const field of SERVER_FIELDS) {
    for (const uri of urisOf(metadata[field])) {
      if (URL.parse(uri)?.protocol === 'http:') {
        throw new AppError('validation_failed', `${field} must use https in production: ${uri}`, {
          field,
        });
      }
    }
  }
}

function redirectProblem(field: string, uri: string, url: URL, native: boolean): string {
  if (url.hostname === 'localhost') {
    return `${field} must not use http://localhost in production (RFC 8252 section 8.3: the name may resolve off the device); use http://127.0.0.1 or http://[::1] in a native client: ${uri}`;
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (loopback && native) {
    return `${field} of a native client must write a loopback address as http://127.0.0.1 or http://[::1], without user info (RFC 8252 section 7.3): ${uri}`;
  }
  return loopback
    ? `${field} may use http on a loopback address only for a native client (application_type native, RFC 8252 section 7.3): ${uri}`
    : `${field} must use https in production (http only on a native client's loopback address, RFC 8252 section 7.3): ${uri}`;
}

function urisOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((uri): uri is string => typeof uri === 'string') : [];
}
