import type { Context } from 'koa';

/** Largest form the pages accept: a username, a password and a token fit many times over. */
const MAX_FORM_BYTES = 16 * 1024;

export class FormBodyError extends Error {
  override readonly name = 'FormBodyError';
  readonly status: 413 | 415 | 400;
  constructor(status: 413 | 415 | 400, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Reads an application/x-www-form-urlencoded body (what an HTML form posts without JavaScript),
 * at most 16 KiB. A repeated field keeps its first value.
 */
export async function readForm(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new FormBodyError(415, 'expected an application/x-www-form-urlencoded form');
  }
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > MAX_FORM_BYTES) throw new FormBodyError(413, 'form too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new FormBodyError(413, 'form too large');
    chunks.push(chunk);
  }
  const form = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    if (!(name in form)) form[name] = value;
  }
  return form;
}
