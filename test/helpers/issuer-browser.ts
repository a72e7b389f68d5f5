import { BrowserSession, type PageResponse } from './browser-session.ts';
import { listeningUrl } from './oauth-fixtures.ts';
import {
  authorizationRequest,
  formAction,
  formValue,
  PASSWORD,
  type AppClient,
} from './sign-in-fixtures.ts';
import type { TestTessera } from './test-tessera.ts';

/**
 * A browser talking to the listening port as if to the issuer, whatever host it names (for an
 * https issuer the test plays the TLS proxy): every hop on the issuer is requested from the
 * listening port; the walk stops at the application.
 */
export function issuerBrowser(t: TestTessera, headers: Record<string, string> = {}) {
  const base = listeningUrl(t);
  const browser = new BrowserSession(headers);
  const pages: PageResponse[] = [];
  const local = (url: string) => {
    const parsed = new URL(url, t.issuer);
    return parsed.origin === new URL(t.issuer).origin
      ? `${base}${parsed.pathname}${parsed.search}`
      : undefined;
  };
  /**
   * Requests `url` (a form post when `form` is given, with `extraHeaders` on that first request
   * only) and follows redirects on the issuer; returns the last page and where it left.
   */
  const walk = async (
    url: string,
    form?: Record<string, string>,
    extraHeaders: Record<string, string> = {},
  ) => {
    let page = await browser.request(local(url)!, {
      ...(form ? { form } : {}),
      headers: extraHeaders,
    });
    pages.push(page);
    for (;;) {
      const location = page.headers.get('location');
      if (page.status < 300 || page.status >= 400 || !location) return { page };
      const next = local(location);
      if (next === undefined) return { page, leftTo: new URL(location) };
      page = await browser.request(next);
      pages.push(page);
    }
  };
  /** The sign-in, then the consent when asked: back at the application. */
  const signIn = async (app: AppClient, started?: Awaited<ReturnType<typeof walk>>) => {
    let step = started ?? (await walk((await authorizationRequest(app)).url.href));
    if (step.page.body.includes('name="password"')) {
      step = await walk(formAction(step.page.body, '/login'), {
        csrf: formValue(step.page.body, 'csrf'),
        username: 'alice',
        password: PASSWORD,
      });
    }
    if (step.page.body.includes('/confirm"')) {
      step = await walk(formAction(step.page.body, '/confirm'), {
        csrf: formValue(step.page.body, 'csrf'),
      });
    }
    return step;
  };
  return { browser, pages, walk, signIn };
}

/** The name of the cookie a Set-Cookie line sets. */
export const cookieName = (line: string): string => line.slice(0, line.indexOf('='));

/** A Set-Cookie line's attributes, trimmed and lower-cased (`samesite=lax`, `secure`, …). */
export const attributes = (line: string): string[] =>
  line
    .split(';')
    .slice(1)
    .map((attribute) => attribute.trim().toLowerCase());
