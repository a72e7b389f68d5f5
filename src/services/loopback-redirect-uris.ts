/**
 * A native app's loopback IP redirect URI (RFC 8252 section 7.3): `http://127.0.0.1` or
 * `http://[::1]` exactly as written, an optional port, then nothing but the path, query and
 * fragment. No user info, no look-alike host (`127.0.0.1.example.com`), no other spelling of the
 * address (`127.1`, `0x7f.0.0.1`, which WHATWG URL parsing turns into `127.0.0.1`), and not
 * `localhost` (section 8.3: NOT RECOMMENDED, the name may resolve off the device).
 */
const LOOPBACK_REDIRECT = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(?=[/?#]|$)(.*)$/u;

/**
 * The URI with its port left out if it is a loopback IP redirect URI, else undefined. Two such
 * URIs that differ only in their port give the same answer: what the authorization endpoint
 * compares (src/provider/loopback-redirects.ts) and what registration accepts over plain http
 * in production (client-uri-rules.ts).
 */
export function loopbackRedirectWithoutPort(uri: string): string | undefined {
  const match = LOOPBACK_REDIRECT.exec(uri);
  if (!match) return undefined;
  const [, host, port, rest] = match;
  if (port !== undefined && Number(port) > 65_535) return undefined;
  return `http://${host}${rest}`;
}
