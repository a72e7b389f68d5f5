import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import * as oidc from 'openid-client';

import type { TestTessera } from './test-tessera.ts';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: URL;
  readonly body: URLSearchParams;
}

export interface RelyingPartyServer {
  /** `http://127.0.0.1:<port>`: another site than a Tessera on `http://localhost`. */
  readonly origin: string;
  /** Every request to the redirect URIs, in order. */
  readonly received: ReceivedRequest[];
  /**
   * The URL of one of the application's pages that form-POSTs `fields` to `action` as soon as
   * it loads, as an application sends a POST authorization or logout request.
   */
  postingPage(action: string, fields: Readonly<Record<string, string>>): string;
  close(): void;
}

const escapeHtml = (value: string): string =>
  value
    .replaceAll('&', '&amp;')
    .replaceAll('"', '&quot;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');

/**
 * The application's side, on loopback: its redirect URIs answer with a plain page (and are
 * recorded), and `postingPage` serves the auto-submitting forms.
 */
export async function startRelyingPartyServer(): Promise<RelyingPartyServer> {
  const received: ReceivedRequest[] = [];
  const forms = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const form = forms.get(url.pathname);
    if (form !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(form);
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? 'GET', url, body: new URLSearchParams(body) });
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!DOCTYPE html><title>App</title><h1>Back in the app</h1>');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    received,
    postingPage(action, fields) {
      const path = `/posting-page/${forms.size + 1}`;
      const inputs = Object.entries(fields)
        .map(([n, v]) => `<input type="hidden" name="${escapeHtml(n)}" value="${escapeHtml(v)}">`)
        .join('');
      forms.set(
        path,
        `<!DOCTYPE html><title>App</title><form method="post" action="${escapeHtml(action)}">` +
          `${inputs}</form><script>document.forms[0].submit()</script>`,
      );
      return `${origin}${path}`;
    },
    close() {
      server.close();
    },
  };
}

/**
 * A public browser application of `rpServer` registered in Tessera (code flow, PKCE, its
 * callback and signed-out pages), and its openid-client configuration.
 */
export async function registerBrowserApp(
  t: TestTessera,
  rpServer: RelyingPartyServer,
  options: { grantTypes: string[]; scope: string },
): Promise<{ clientId: string; rp: oidc.Configuration }> {
  const { client } = await t.tessera.clients.create({
    name: 'Photo Gallery',
    metadata: {
      grant_types: options.grantTypes,
      redirect_uris: [`${rpServer.origin}/callback`],
      post_logout_redirect_uris: [`${rpServer.origin}/signed-out`],
      token_endpoint_auth_method: 'none',
      scope: options.scope,
    },
  });
  const rp = await oidc.discovery(new URL(t.issuer), client.clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  return { clientId: client.clientId, rp };
}
