import type { Readable } from 'node:stream';

/** What one CLI run reads and writes; main.ts passes the process's own streams and env. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
}
