import type Cookies from 'cookies';
import type Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';

type CookieConfiguration = Required<
  Pick<NonNullable<Configuration['cookies']>, 'long' | 'short'>
> & {
  readonly names: {
    readonly session: string;
    readonly interaction: string;
    readonly resume: string;
  };
};

/**
 * A cookie's name: with the `__Host-` prefix over https, which browsers accept only with Secure,
 * Path=/ and no Domain (RFC 6265bis section 4.1.3.2), so a sibling subdomain or a plain-http
 * page cannot set or shadow it. Plain-http development keeps the bare name: the prefix needs
 * Secure, which a cookie set over plain http cannot have.
 */
export function hostCookieName(name: string, options: { https: boolean }): string {
  return options.https ? `__Host-${name}` : name;
}

/**
 * How browsers treat the issuer's origin, which decides the cookie policy. Loopback plain http
 * is "potentially trustworthy" (W3C Secure Contexts section 3.1: 127.0.0.0/8, ::1, `localhost`
 * and `*.localhost`), so browsers that follow it (Chromium does; test/browser holds it) keep a
 * Secure cookie set over it; no browser does over plain http to any other host.
 */
export type IssuerKind = 'https' | 'loopback-http' | 'plain-http';

export function issuerKindOf(issuer: string): IssuerKind {
  const { protocol, hostname } = new URL(issuer);
  if (protocol === 'https:') return 'https';
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const loopback =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return loopback ? 'loopback-http' : 'plain-http';
}

/**
 * Whether the authorization and end-session endpoints take POST (OIDC Core 1.0 section
 * 3.1.2.1, RP-Initiated Logout 1.0 section 2: both MUST). An application's form POST to them is
 * cross-site, and a browser sends a cross-site POST only the SameSite=None cookies, which must
 * be Secure (RFC 6265bis section 5.7); oidc-provider refuses POST without them
 * (`checkPostMethods`, lib/helpers/configuration.js). So: everywhere a Secure cookie can live,
 * not over plain http to a non-loopback host (development only: production needs https).
 */
export function acceptsCrossSitePosts(issuer: string): boolean {
  return issuerKindOf(issuer) !== 'plain-http';
}

/**
 * oidc-provider's cookies (configuration `cookies`, node_modules/oidc-provider/lib/helpers/
 * defaults.js): the one place their names and attributes are decided. Signed with the cookie
 * keys and HttpOnly; over https Secure with `__Host-` names, plain http keeps oidc-provider's
 * own names.
 *
 * - The session cookie (`long`) is SameSite=None; Secure wherever POST is accepted
 *   (acceptsCrossSitePosts): an application's POST to /auth (`prompt=none`, single sign-on) or
 *   /session/end must find the session. What Lax guarded, Tessera's own forms, keeps its CSRF
 *   tokens and refuses cross-site posts (src/interactions/cross-site-posts.ts).
 * - The interaction and resume cookies (`short`) stay SameSite=Lax: a browser stores a Lax
 *   cookie from the response to a top-level navigation even when it was a cross-site POST, and
 *   every request that reads them (the sign-in page, its form posts, the resume at /auth/<uid>)
 *   is a top-level GET or a post from Tessera's own page (RFC 6265bis section 5.7, the storage
 *   model's SameSite steps; held by test/browser/cross-site-post.test.ts). Over loopback http they are not Secure, so a
 *   browser that does not trust loopback still signs in (it only loses the session cookie).
 */
export function providerCookiesFor(issuer: string): CookieConfiguration {
  const kind = issuerKindOf(issuer);
  const https = kind === 'https';
  const lax = { httpOnly: true, sameSite: 'lax' as const };
  return {
    names: https
      ? {
          session: hostCookieName('tessera-session', { https }),
          interaction: hostCookieName('tessera-interaction', { https }),
          resume: hostCookieName('tessera-resume', { https }),
        }
      : { session: '_session', interaction: '_interaction', resume: '_interaction_resume' },
    // No `path`: the session cookie gets Path=/ by default, and the interaction and resume
    // cookies' own paths are what keepPendingInteractions reads the interaction from.
    long: kind === 'plain-http' ? { ...lax } : { httpOnly: true, sameSite: 'none', secure: true },
    // Explicit `secure` over loopback http: the cookie jar is marked secure there
    // (installProviderCookies), which would otherwise make every cookie Secure by default.
    short: { ...lax, secure: https },
  };
}

/**
 * The cookie handling Tessera adds to oidc-provider's Koa contexts: over https, the pending-
 * interaction cookies (keepPendingInteractions); over loopback http, a cookie jar that may set
 * the Secure session cookie. The `cookies` module refuses `secure` on a request it believes is
 * plain http (cookies/index.js), and oidc-provider marks its jars secure only when the request
 * is (lib/helpers/oidc_context.js); the browser, not the transport, is what keeps it there.
 */
export function installProviderCookies(provider: Provider, issuer: string): void {
  const kind = issuerKindOf(issuer);
  if (kind === 'plain-http') return;
  const { names } = providerCookiesFor(issuer);
  const scoped = new Set([names.interaction, names.resume]);
  const accessor = findCookiesAccessor(provider.context);
  const done = new WeakSet<Cookies>();
  Object.defineProperty(provider.context, 'cookies', {
    configurable: true,
    get(this: { path: string }) {
      const jar = accessor.get.call(this) as Cookies;
      if (!done.has(jar)) {
        done.add(jar);
        if (kind === 'https') keepPendingInteractions(jar, this.path, scoped);
        else (jar as { secure?: boolean }).secure = true;
      }
      return jar;
    },
    set(this: unknown, jar: Cookies) {
      accessor.set.call(this, jar);
    },
  });
}

/** Pending interactions one browser keeps; a sign-in started before the last eight restarts. */
const PENDING_INTERACTIONS = 8;
const SEPARATOR = '.';

/**
 * oidc-provider scopes its interaction and resume cookies to one interaction by their Path
 * (`/interaction/<uid>` and `/auth/<uid>`, lib/actions/authorization/interactions.js and
 * resume.js), so that sign-ins running side by side in one browser (two tabs, two
 * applications) each find their own. A `__Host-` cookie must have Path=/, so with those names
 * each of the two cookies holds the uids of the browser's pending interactions instead, newest
 * first and at most eight, and a read answers the uid named by the request's path (both routes
 * carry it as their second segment) when the list holds it: what the browser's path matching
 * answered before. The value is signed as a whole like any other cookie.
 *
 * Installed (installProviderCookies) on the provider's context prototype, so the contexts
 * oidc-provider makes itself (`provider.createContext`, for `interactionDetails`) read the
 * cookies the same way.
 */
function keepPendingInteractions(jar: Cookies, requestPath: string, scoped: Set<string>): void {
  const get = jar.get.bind(jar);
  const set = jar.set.bind(jar);
  // What this response already wrote: resume.js clears one uid, then interactions.js may add one.
  const written = new Map<string, string[]>();
  // Always read signed (oidc-provider's default with cookie keys): `get` without options would
  // not check the signature at all (cookies/index.js).
  const pendingOf = (name: string, options: { signed?: boolean | undefined } | undefined) =>
    written.get(name) ??
    get(name, { signed: options?.signed ?? true })
      ?.split(SEPARATOR)
      .filter(Boolean) ??
    [];

  jar.get = (name, options) => {
    if (!scoped.has(name)) return get(name, options);
    const uid = /^\/[^/]+\/([^/]+)/.exec(requestPath)?.[1];
    return uid !== undefined && pendingOf(name, options).includes(uid) ? uid : undefined;
  };
  jar.set = (name, value, options) => {
    if (!scoped.has(name) || options?.path === undefined || options.path === '/') {
      return set(name, value, options);
    }
    // The uid is the value set, or when clearing, the last segment of the path it was set at.
    const uid = value ?? options.path.slice(options.path.lastIndexOf('/') + 1);
    const rest = pendingOf(name, options).filter((pending) => pending !== uid);
    const pending = value ? [value, ...rest].slice(0, PENDING_INTERACTIONS) : rest;
    written.set(name, pending);
    return set(name, pending.length > 0 ? pending.join(SEPARATOR) : null, {
      ...options,
      path: '/',
      overwrite: true,
    });
  };
}

/** Koa's `cookies` accessor (koa/lib/context.js), found on the prototype chain of `context`. */
function findCookiesAccessor(context: object): Required<Pick<PropertyDescriptor, 'get' | 'set'>> {
  for (let o: object | null = context; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(o, 'cookies');
    if (descriptor?.get && descriptor.set) {
      return descriptor as Required<Pick<PropertyDescriptor, 'get' | 'set'>>;
    }
  }
  throw new Error('no cookies accessor on the Koa context');
}
