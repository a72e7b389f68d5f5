import type { IncomingMessage } from 'node:http';

/** oidc-provider's body limit (lib/shared/selective_body.js). */
const FORM_BODY_LIMIT = 56 * 1024;
const DECIMAL = /^\d{1,6}$/;
const FORM = 'application/x-www-form-urlencoded';
// What openid-client (oauth4webapi) sends.
const UTF8_FORM = /^application\/x-www-form-urlencoded; ?charset=utf-8$/i;
// Decodes as oidc-provider's readBody does for a charset (WHATWG decoding, a BOM dropped).
const UTF8 = new TextDecoder('utf-8');

/** A form body read ahead of oidc-provider. */
export interface FormBody {
  /** The bytes as oidc-provider's readBody returns them: a Buffer, or text for a charset. */
  readonly raw: Buffer | string;
  /** The text oidc-provider parses (querystring.parse of `raw`). */
  readonly text: string;
}

export interface ReadableForm {
  readonly length: number;
  readonly utf8: boolean;
}

/**
 * A body the fast path may read before oidc-provider does: a POST whose Content-Type is exactly
 * `application/x-www-form-urlencoded`, with no charset or with UTF-8, and a Content-Length within
 * selective_body.js's limit, with no transfer coding. Anything else is left unread for
 * oidc-provider to read and judge.
 */
export function readableForm(req: IncomingMessage): ReadableForm | undefined {
  const { headers } = req;
  const type = headers['content-type'];
  if (req.method !== 'POST' || type === undefined || headers['transfer-encoding'] !== undefined) {
    return undefined;
  }
  const utf8 = type !== FORM;
  if (utf8 && !UTF8_FORM.test(type)) return undefined;
  const declared = headers['content-length'];
  if (declared === undefined || !DECIMAL.test(declared)) return undefined;
  const length = Number(declared);
  return length <= FORM_BODY_LIMIT ? { length, utf8 } : undefined;
}

/**
 * The whole body, exactly `length` bytes as selective_body.js reads it, decoded as it decodes it;
 * rejects when the peer sent less (the connection ended early).
 */
export async function readFormBody(req: IncomingMessage, form: ReadableForm): Promise<FormBody> {
  const bytes = await readBytes(req, form.length);
  if (!form.utf8) return { raw: bytes, text: bytes.toString() };
  const text = UTF8.decode(bytes);
  return { raw: text, text };
}

/**
 * With `data` and `end` listeners rather than selective_body.js's async iterator: the same bytes
 * (a form of a chunk or two) for less work per request.
 */
function readBytes(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFailure);
      req.off('close', onFailure);
    };
    function onFailure() {
      stop();
      reject(new Error('request size did not match content length'));
    }
    function onData(chunk: Buffer) {
      received += chunk.length;
      if (received > length) onFailure();
      else chunks.push(chunk);
    }
    function onEnd() {
      if (received !== length) return onFailure();
      stop();
      resolve(Buffer.concat(chunks, received));
    }
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onFailure);
    // Closed before the end: the peer went away mid-body.
    req.once('close', onFailure);
  });
}
