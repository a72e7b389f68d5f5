import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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
  /** The scripts the passkey buttons run, by route (served by interaction-routes.ts). */
  readonly scripts: ReadonlyMap<string, string>;
}

export const STYLESHEET_ROUTE = '/assets/tessera.css';
/** @simplewebauthn/browser's own browser bundle, served from Tessera (no third-party origin). */
export const WEBAUTHN_SCRIPT_ROUTE = '/assets/webauthn.js';
/** What the passkey buttons and the username autofill do (assets/passkeys.js). */
export const PASSKEYS_SCRIPT_ROUTE = '/assets/passkeys.js';

const versioned = (route: string, content: string) =>
  `${route}?v=${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;

function readWebAuthnBundle(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

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
  const webauthn = readWebAuthnBundle();
  const passkeys = readFileSync(new URL('./assets/passkeys.js', import.meta.url), 'utf8');
  const scripts = new Map([
    [WEBAUTHN_SCRIPT_ROUTE, webauthn],
    [PASSKEYS_SCRIPT_ROUTE, passkeys],
  ]);
  const scriptPaths = {
    webauthn: versioned(WEBAUTHN_SCRIPT_ROUTE, webauthn),
    passkeys: versioned(PASSKEYS_SCRIPT_ROUTE, passkeys),
  };
  const newNonce = createNonceSource();

  return {
    stylesheetPath,
    stylesheet,
    scripts,
    render(target, page) {
      const nonce = newNonce();
      const html = eta.render(page.view, {
        ...page.data,
        m: page.messages,
        format: formatMessage,
        nonce,
        stylesheet: stylesheetPath,
        scripts: scriptPaths,
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
