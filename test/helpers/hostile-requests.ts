import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

import { expect } from 'vitest';

/** One request as a hostile client sends it: any method, raw path, raw headers and body bytes. */
export interface HostileRequest {
  readonly method?: string;
  /** Sent as is (no normalisation of `..`, `%2F` or invalid escapes). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Sends a request with node:http, which (unlike fetch) keeps the path exactly as written and
 * sends any method. Content-Length is set from the body.
 */
export function sendHostile(baseUrl: string, probe: HostileRequest): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const body = probe.body === undefined ? undefined : Buffer.from(probe.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: probe.method ?? 'GET',
        path: probe.path,
        headers: {
          ...(body === undefined ? {} : { 'content-length': String(body.length) }),
          ...probe.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    // A server that answers before reading the whole body may close the connection under us;
    // the answer has arrived by then.
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Writes a request byte for byte on a socket, for what node:http refuses to send (raw
 * non-ASCII or NUL bytes in the request line). Returns the status line's code and the rest.
 */
export function sendRawBytes(baseUrl: string, bytes: Buffer): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that refuses a request before reading it all resets the connection once it has
    // answered: the answer is what counts.
    socket.on('error', (error) => (chunks.length > 0 ? socket.emit('end') : reject(error)));
    socket.once('end', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        contentType: headers['content-type'] ?? '',
        text: rest.join('\r\n\r\n'),
        headers,
      });
    });
    socket.end(Buffer.concat([bytes, Buffer.from('\r\nconnection: close\r\n\r\n')]));
  });
}

/** What a refusal must look like, by the kind of route that refused. */
export type RefusalShape =
  /** RFC 6749 section 5.2 (and RFC 6750 / 7662 / 7009): JSON with an `error` code. */
  | 'oauth'
  /** RFC 9457 problem details, as Tessera's own JSON routes answer. */
  | 'problem'
  /** The human error page (text/html) of the hosted pages and oidc-provider's browser routes. */
  | 'page'
  /** RFC 6749 section 4.1.2.1: back to the client's redirect_uri with an `error` parameter. */
  | 'redirect-error'
  /** Input the route rightly ignores: any status below 500, no internals in the body. */
  | 'ignored';

// A stack frame, an absolute source path or a module path: what a leak of internals looks like.
const INTERNALS =
  /\n\s+at \S|\bat (?:async )?\S+ \(|node_modules|file:\/\/|\/(?:work|src|tmp|home)\/|\.(?:ts|js|mjs):\d+/;

/** Asserts one answer follows the rule for bad input: a clear 4xx in the route's own shape. */
export function expectRefusal(answer: RawAnswer, shape: RefusalShape, label: string): void {
  const where = `${label} → ${answer.status} ${answer.contentType}\n${answer.text.slice(0, 600)}`;
  const lowest = shape === 'ignored' ? 200 : shape === 'redirect-error' ? 300 : 400;
  expect(answer.status, where).toBeGreaterThanOrEqual(lowest);
  expect(answer.status, where).toBeLessThan(500);
  expect(answer.text, where).not.toMatch(INTERNALS);
  if (shape === 'oauth') {
    expect(answer.contentType, where).toMatch(/^application\/json/);
    const body = JSON.parse(answer.text) as { error?: unknown };
    // RFC 6749 section 5.2: error is ASCII without '"' and '\'.
    expect(body.error, where).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
  } else if (shape === 'problem') {
    expect(answer.contentType, where).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    expect(body.status, where).toBe(answer.status);
    expect(body.type, where).toMatch(/^urn:tessera:problem:/);
    expect(typeof body.title, where).toBe('string');
    expect(typeof body.detail, where).toBe('string');
  } else if (shape === 'redirect-error') {
    const location = new URL(String(answer.headers.location), 'http://unused.invalid');
    expect(location.searchParams.get('error'), where).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
  } else if (shape === 'page') {
    expect(answer.contentType, where).toMatch(/^text\/html/);
    expect(answer.text, where).toMatch(/<html/i);
  }
}
