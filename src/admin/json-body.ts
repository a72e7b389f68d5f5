import type { Context } from 'koa';

import { AppError } from '../services/app-error.ts';

/** Admin requests are small documents; anything larger is refused before it is buffered. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON request body, bounded in size. Returns undefined when the request has none.
 * A body that is not `application/json` (or `+json`) is 415; malformed JSON is 400.
 */
export async function readJsonBody(ctx: Context): Promise<unknown> {
  // type-is answers null when the request carries no body at all; an empty one is none either.
  const type = ctx.request.is('application/json', '+json');
  if (type === null || ctx.request.length === 0) return undefined;
  if (type === false) {
    throw new AppError('unsupported_media_type', 'send the request body as application/json', {
      field: 'Content-Type',
    });
  }
  const declared = ctx.request.length;
  if (declared !== undefined && declared > MAX_JSON_BODY_BYTES) {
    ctx.set('connection', 'close');
    throw tooLarge();
  }

  const raw = await readBounded(ctx);
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('validation_failed', 'the request body is not valid JSON', {
      field: 'body',
    });
  }
}

/**
 * Buffers the body up to the limit. Past it, stops listening and answers 413 on a connection
 * marked for closing; Node discards the unread rest once the response is sent.
 */
function readBounded(ctx: Context): Promise<Buffer> {
  const req = ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_JSON_BODY_BYTES) {
        cleanup();
        ctx.set('connection', 'close');
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

const tooLarge = () =>
  new AppError('payload_too_large', `request bodies are limited to ${MAX_JSON_BODY_BYTES} bytes`);
