import type { Readable } from 'node:stream';

import { usageError } from './cli-error.ts';

const MAX_PASSWORD_BYTES = 4096;

/**
 * The password from standard input (`--password-stdin`), so it never sits in shell history or
 * the process list. One trailing newline (as `echo` or a file adds) is not part of it.
 */
export async function readPasswordFromStdin(
  stdin: Readable,
  enabled: boolean | undefined,
): Promise<string> {
  if (!enabled) {
    throw usageError('pass --password-stdin and write the password to standard input');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_PASSWORD_BYTES) throw usageError('the password on standard input is too long');
    chunks.push(buffer);
  }
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password === '') throw usageError('standard input held no password');
  return password;
}
