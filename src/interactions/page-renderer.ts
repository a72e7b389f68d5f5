import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Eta } from 'eta';

import { contentSecurityPolicy, createNonceSource } from './content-security-policy.ts';
import { formatMessage, type Messages } from './messages/catalog.ts';

export type PageView =
  'login' | 'second-factor' | 'account' | 'consent' | 'logout' | 'logged-out' | 'error';

export interface Page {
  readonly view: PageView;
  readonly status: number;
  readonly messages: Messages;
  readonly data: Readonly<Record<string, unknown>>;
  /** Where forms may post besides Tessera (see content-security-policy.ts); 'none': no forms. */
  readonly formAction: readonly string[] | 'none';
}

/** The part of a Koa context a page is written to: Tessera's own and oidc-provider's alike. */
export interface PageTarget {
  status: number;
  type: string;
  body: unknown;
  set(field: string, value: string): void;
}

export interface PageRenderer {
  /** Writes the page with its security headers (CSP with a fresh nonce, no-store). */
  render(target: PageTarget, page: Page): void;
  /** Path of the stylesheet, versioned by its content so it can be cached for long. */
  readonly stylesheetPath: string;
  readonly stylesheet: string;
}

export const STYLESHEET_ROUTE = '/assets/tessera.css';

/**
 * Server-rendered pages with Eta: auto-escaping on by default (`<%= %>` escapes, only `<%~ %>`
 * does not, used for the layout body and oidc-provider's own logout form), templates compiled
 * once and cached. oidc-provider compiles its own built-in views with Eta too.
 */
export function createPageRenderer(): PageRenderer {
  const eta = new Eta({
    views: new URL('./views', import.meta.url).pathname,
    autoEscape: true,
    cache: true,
    useWith: false,
  });
  const stylesheet = readFileSync(new URL('./assets/tessera.css', import.meta.url), 'utf8');
  const version = createHash('sha256').update(stylesheet).digest('hex').slice(0, 12);
  const stylesheetPath = `${STYLESHEET_ROUTE}?v=${version}`;
  const newNonce = createNonceSource();

  return {
    stylesheetPath,
    stylesheet,
    render(target, page) {
      const nonce = newNonce();
      const html = eta.render(page.view, {
        ...page.data,
        m: page.messages,
        format: formatMessage,
        nonce,
        stylesheet: stylesheetPath,
      });
      target.status = page.status;
      target.set(
        'content-security-policy',
        contentSecurityPolicy({ nonce, formAction: page.formAction }),
      );
      target.set('cache-control', 'no-store');
      target.set('pragma', 'no-cache');
      target.type = 'text/html; charset=utf-8';
      target.body = html;
    },
  };
}
