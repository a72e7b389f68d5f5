import { request as httpRequest } from 'node:http';

/**
 * A minimal browser for driving the hosted pages over HTTP: a cookie jar (name, path, expiry
 * as RFC 6265 section 5.3 stores them, and the `__Host-`/`__Secure-` prefix rules; Domain is
 * otherwise ignored since every test talks to one host) and
 * manual redirects, so each hop can be inspected. No JavaScript, like a browser with it off.
 */
interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  readonly expiresAt: number | undefined;
  readonly attributes: string;
}

export interface PageResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Raw Set-Cookie header lines of this response. */
  readonly setCookies: string[];
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class BrowserSession {
  readonly #cookies = new Map<string, StoredCookie>();
  readonly #headers: Record<string, string>;

  constructor(headers: Record<string, string> = {}) {
    this.#headers = headers;
  }

  /** Cookies that would be sent to `url`, by name. */
  cookiesFor(url: string): Map<string, string> {
    const { pathname } = new URL(url);
    const now = Date.now();
    const sent = new Map<string, string>();
    for (const cookie of this.#cookies.values()) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) continue;
      if (pathMatches(pathname, cookie.path)) sent.set(cookie.name, cookie.value);
    }
    return sent;
  }

  /** Every stored cookie whose name starts with `prefix`, with its raw attributes. */
  storedCookies(): StoredCookie[] {
    return [...this.#cookies.values()];
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<PageResponse> {
    const cookie = [...this.cookiesFor(url)].map(([name, value]) => `${name}=${value}`).join('; ');
    const headers: Record<string, string> = { ...this.#headers, ...init.headers };
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    // fetch sends its own Host whatever it is given; node:http sends the one asked for.
    const response =
      headers.host === undefined
        ? await fetch(url, {
            method,
            headers,
            ...(body === undefined ? {} : { body }),
            redirect: 'manual',
          })
        : await fetchWithHost(url, method, headers, body);
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.#store(new URL(url), line);
    return {
      url,
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      setCookies,
    };
  }

  /**
   * Requests `url` and follows redirects while they stay on `origin`; stops at the first
   * response that is not a redirect, or at a redirect leaving the origin (the application's
   * callback), which it returns as `leftTo`.
   */
  async follow(
    url: string,
    origin: string,
    init: { form?: Record<string, string> } = {},
  ): Promise<{ page: PageResponse; leftTo: URL | undefined; hops: PageResponse[] }> {
    const hops: PageResponse[] = [];
    let page = await this.request(url, init);
    hops.push(page);
    for (let hop = 0; hop < 10; hop += 1) {
      const location = page.headers.get('location');
      if (page.status < 300 || page.status >= 400 || !location) {
        return { page, leftTo: undefined, hops };
      }
      const next = new URL(location, page.url);
      if (next.origin !== new URL(origin).origin) return { page, leftTo: next, hops };
      page = await this.request(next.href);
      hops.push(page);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  #store(url: URL, line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = defaultPath(url);
    let expiresAt: number | undefined;
    for (const attribute of attributes) {
      const [key = '', attrValue = ''] = attribute.split('=');
      if (key.toLowerCase() === 'path' && attrValue.startsWith('/')) path = attrValue;
      if (key.toLowerCase() === 'max-age') expiresAt = Date.now() + Number(attrValue) * 1000;
      if (key.toLowerCase() === 'expires' && expiresAt === undefined) {
        expiresAt = Date.parse(attrValue);
      }
    }
    // Cookie name prefixes (RFC 6265bis section 4.1.3), enforced by browsers: a __Secure-
    // cookie needs Secure; a __Host- cookie also Path=/ and no Domain. Others are dropped.
    const named = (key: string) => attributes.some((a) => a.toLowerCase().startsWith(key));
    if (/^__(Secure|Host)-/i.test(name) && !named('secure')) return;
    const rootPath = attributes.some((a) => a.replace(/\s/g, '').toLowerCase() === 'path=/');
    if (/^__Host-/i.test(name) && (!rootPath || named('domain'))) return;
    const key = `${path}\0${name}`;
    if (value === '' || (expiresAt !== undefined && expiresAt <= Date.now())) {
      this.#cookies.delete(key);
      return;
    }
    this.#cookies.set(key, { name, value, path, expiresAt, attributes: attributes.join('; ') });
  }
}

/** A fetch-like request through node:http, which sends the `host` header it is given. */
function fetchWithHost(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Response> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path: `${target.pathname}${target.search}`,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          }
          const status = res.statusCode ?? 0;
          const payload = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(payload, { status, headers: responseHeaders }));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
