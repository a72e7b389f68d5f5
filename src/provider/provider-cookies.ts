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
 * oidc-provider's cookies (configuration `cookies`, node_modules/oidc-provider/lib/helpers/
 * defaults.js): the one place their names and attributes are decided. Signed with the cookie
 * keys, HttpOnly, SameSite=Lax (OAuth redirects are top-level GET navigations, which Lax
 * sends), and over https Secure with `__Host-` names; plain-http development keeps
 * oidc-provider's own names.
 */
export function providerCookiesFor(issuer: string): CookieConfiguration {
  const https = new URL(issuer).protocol === 'https:';
  const options = { httpOnly: true, sameSite: 'lax' as const, ...(https ? { secure: true } : {}) };
  return {
    names: https
      ? {
          session: hostCookieName('tessera-session', { https }),
          interaction: hostCookieName('tessera-interaction', { https }),
          resume: hostCookieName('tessera-resume', { https }),
        }
      : { session: '_session', interaction: '_interaction', resume: '_interaction_resume' },
    // No `path`: the session cookie gets Path=/ by default, and the interaction and resume
    // cookies' own paths are what scopeInteractionCookies reads the interaction from.
    long: { ...options },
    short: { ...options },
  };
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
 * Installed on the provider's context prototype, so the contexts oidc-provider makes itself
 * (`provider.createContext`, for `interactionDetails`) read the cookies the same way.
 */
export function scopeInteractionCookies(provider: Provider, issuer: string): void {
  // Plain-http development keeps oidc-provider's path-scoped cookies as they are.
  if (new URL(issuer).protocol !== 'https:') return;
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
        keepPendingInteractions(jar, this.path, scoped);
      }
      return jar;
    },
    set(this: unknown, jar: Cookies) {
      accessor.set.call(this, jar);
    },
  });
}

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
