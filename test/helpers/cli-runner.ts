import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

import { chooseCliEntry } from '../../bin/cli-entry.js';
import { PATIENCE_MS } from './patience.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'bin/tessera.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

/**
 * Runs the package's real `tessera` bin (bin/tessera.js → dist/, built by test/build-setup.ts)
 * as a child process, with only the given environment, and collects its output and exit code.
 */
export async function runTessera(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  // The bin runs dist/ only while the build is newer than the sources: make sure it does here.
  if (!chooseCliEntry(ROOT).built) {
    throw new Error('dist/ is missing or older than the sources: test/build-setup.ts did not run');
  }
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? PATIENCE_MS);
  const code = await new Promise<number | null>((resolvePromise) =>
    child.on('close', (exitCode) => resolvePromise(exitCode)),
  );
  clearTimeout(timer);
  return {
    code,
    stdout,
    stderr,
    json() {
      try {
        return JSON.parse(stdout) as unknown;
      } catch {
        throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

/** The lines a run wrote to stderr, without blank ones. */
export const stderrLines = (run: CliRun): string[] =>
  run.stderr.split('\n').filter((line) => line.trim() !== '');
