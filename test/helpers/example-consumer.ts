import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

import { waitFor } from './tessera-process.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/revocation-consumer.ts');

/** Runs the example resource server as docs/events.md tells; resolves with its base URL. */
export async function startExample(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=tessera-source', EXAMPLE], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the example exited:\n${output}`);
    const match = /"msg":"photos api listening","port":(\d+)/.exec(output);
    return match ? Number(match[1]) : undefined;
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}
