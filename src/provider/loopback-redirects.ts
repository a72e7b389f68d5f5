import type Provider from 'oidc-provider';

import { loopbackRedirectWithoutPort } from '../services/loopback-redirect-uris.ts';

interface ClientRedirects {
  readonly redirectUris?: readonly string[];
  readonly applicationType?: string;
}

/**
 * RFC 8252 section 7.3: for a native app's loopback IP redirect URI the authorization server
 * MUST allow any port at the time of the request, since the app opens whichever port is free
 * when it needs one. A native client (`application_type: native`) that registered
 * `http://127.0.0.1/cb` or `http://[::1]:8080/cb` may therefore ask for
 * `http://127.0.0.1:53123/cb`; everything else about the URI (scheme, address as written, path,
 * query) must match a registered one exactly (src/services/loopback-redirect-uris.ts says which
 * URIs qualify), and every other URI, client or host matches exactly (RFC 9700 sections 2.1 and
 * 4.1.3). The authorization code is bound to the URI as requested, port included, so its
 * redemption must name the same one (oidc-provider lib/actions/grants/authorization_code.js
 * compares them exactly).
 *
 * oidc-provider 9 already relaxes the port for native clients (`#redirectAllowed` in
 * node_modules/oidc-provider/lib/models/client.js), but for `localhost` too
 * (LOOPBACKS in lib/consts/client_attributes.js). Section 8.3 calls `localhost` NOT RECOMMENDED:
 * the name may resolve off the device, or the app may listen on more than the loopback
 * interface, so a `localhost` redirect URI is matched exactly, port included (and
 * src/services/client-uri-rules.ts refuses it in production). `redirectUriAllowed` is the one
 * place oidc-provider asks (the authorization and PAR endpoints' redirect_uri check,
 * lib/actions/authorization/response_parameters.js, and its error handler,
 * lib/shared/authorization_error_handler.js, before it redirects an error). Post-logout
 * redirect URIs keep oidc-provider's own rule.
 */
export function installLoopbackRedirectMatching(provider: Provider): void {
  const prototype = provider.Client.prototype as unknown as {
    redirectUriAllowed(this: ClientRedirects, value: unknown): boolean;
  };
  prototype.redirectUriAllowed = function redirectUriAllowed(value) {
    if (typeof value !== 'string') return false;
    const registered = this.redirectUris ?? [];
    if (registered.includes(value)) return true;
    if (this.applicationType !== 'native') return false;
    const requested = loopbackRedirectWithoutPort(value);
    return (
      requested !== undefined &&
      registered.some((uri) => loopbackRedirectWithoutPort(uri) === requested)
    );
  };
}
