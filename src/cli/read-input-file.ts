import { readFileSync } from 'node:fs';

import { CliError } from './cli-error.ts';

/** A file a command reads (-f, an export): its text, or a one-line error naming it and why. */
export function readInputFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(`${path}: cannot read it (${reason})`);
  }
}
