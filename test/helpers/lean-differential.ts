import { request } from 'node:http';

import { decodeJwt, decodeProtectedHeader } from 'jose';

import { listeningUrl } from './oauth-fixtures.ts';
import { sampleValue, scrape } from './prometheus-text.ts';
import type { TestTessera } from './test-tessera.ts';

/**
 * Differential testing of the lean paths (docs/decisions/0008-lean-client-credentials-path.md):
 * the same request to an instance with them and to one without (`leanTokenPath: false`), on one
 * store and one issuer, and the answers reduced to what two answers to it can share.
 */

export const FORM = 'application/x-www-form-urlencoded';
/** What openid-client (oauth4webapi) sends. */
export const UTF8_FORM = 'application/x-www-form-urlencoded;charset=UTF-8';
const LEAN_RESPONSES = 'tessera_token_lean_responses_total';
/** Differ per response by nature: when it was sent and which request it answers. */
const UNCOMPARED_HEADERS = new Set(['date', 'x-request-id']);
/** Differ per token by nature (RFC 9068 section 2.2: unique id, issue and expiry instants). */
const PER_TOKEN_CLAIMS = new Set(['jti', 'iat', 'exp']);

export interface Answer {
  readonly status: number;
  readonly headers: [string, string][];
  readonly text: string;
}

export type Form = Readonly<Record<string, string | readonly string[]>>;

export function encodeForm(form: Form): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, one);
  }
  return params.toString();
}

/** A value's shape: its length and which characters are not id characters. */
export const shapeOf = (value: string) => value.replace(/[A-Za-z0-9_-]/g, 'x');

export function withoutPerToken(record: Record<string, unknown>) {
  return {
    keys: Object.keys(record),
    values: Object.fromEntries(
      Object.entries(record).filter(([key]) => !PER_TOKEN_CLAIMS.has(key)),
    ),
    jti: typeof record['jti'] === 'string' ? shapeOf(record['jti']) : record['jti'],
    lifetime: Number(record['exp']) - Number(record['iat']),
  };
}

/** An access token as far as two issuances of it can be equal. */
function comparableToken(token: string) {
  if (token.split('.').length !== 3) return { opaque: shapeOf(token) };
  return { header: decodeProtectedHeader(token), claims: withoutPerToken(decodeJwt(token)) };
}

/** An answer as far as two answers to the same request can be equal. */
export function comparable(answer: Answer) {
  const headers = answer.headers.filter(([name]) => !UNCOMPARED_HEADERS.has(name));
  if (answer.status !== 200) return { status: answer.status, headers, text: answer.text };
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  return {
    status: answer.status,
    headers,
    keys: Object.keys(body),
    body: { ...body, access_token: comparableToken(String(body['access_token'])) },
  };
}

/** The lean responses `t` counted for `endpoint` (tessera_token_lean_responses_total). */
export async function leanResponses(
  t: TestTessera,
  endpoint: 'token' | 'refresh' | 'introspection',
): Promise<number> {
  return sampleValue(await scrape(listeningUrl(t)), LEAN_RESPONSES, { endpoint }) ?? 0;
}

/**
 * POSTs `form` (or a raw body) to `path` of `t`, urlencoded unless `headers` say otherwise. The
 * answer's headers are as sent, in order (node:http rawHeaders; fetch's Headers would sort them).
 */
export function sendForm(
  t: TestTessera,
  path: string,
  form: Form | string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const body = typeof form === 'string' ? form : encodeForm(form);
  return new Promise((resolve, reject) => {
    const req = request(
      `${listeningUrl(t)}${path}`,
      {
        method: 'POST',
        headers: { 'content-type': FORM, 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const raw = res.rawHeaders;
          const pairs: [string, string][] = [];
          for (let i = 0; i < raw.length; i += 2) {
            pairs.push([(raw[i] ?? '').toLowerCase(), raw[i + 1] ?? '']);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: pairs,
            text: Buffer.concat(chunks).toString(),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The same request to both instances; both answers, and how many the lean instance served. */
export async function sendToLeanAndFull(
  instances: { readonly lean: TestTessera; readonly full: TestTessera },
  endpoint: 'token' | 'refresh' | 'introspection',
  path: string,
  form: Form,
  headers: Record<string, string> = {},
): Promise<{ leanAnswer: Answer; fullAnswer: Answer; served: number }> {
  const before = await leanResponses(instances.lean, endpoint);
  const leanAnswer = await sendForm(instances.lean, path, form, headers);
  const served = (await leanResponses(instances.lean, endpoint)) - before;
  const fullAnswer = await sendForm(instances.full, path, form, headers);
  return { leanAnswer, fullAnswer, served };
}

/** An answer as far as two answers to the same request must be equal: all but date and id. */
export function exactly(answer: Answer) {
  const headers = answer.headers.filter(([name]) => !UNCOMPARED_HEADERS.has(name));
  return { status: answer.status, headers, text: answer.text };
}
