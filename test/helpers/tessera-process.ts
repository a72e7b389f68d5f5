import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

import { PATIENCE_MS } from './patience.ts';

const MAIN = resolve(import.meta.dirname, '../../src/main.ts');

export interface TesseraProcess {
  readonly child: ChildProcess;
  /** The issuer the process logged. */
  readonly url: string;
  /** Where to connect: loopback and the bound port (differs from `url` for an https issuer). */
  readonly origin: string;
  readonly output: () => string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

export interface SpawnOptions {
  /** How long to wait for "listening" (or, expecting failure, for the exit): bounds a failing test. */
  readonly timeoutMs?: number;
  /** The entry script; `src/main.ts` by default (a release test passes `dist/src/main.js`). */
  readonly entry?: string;
  readonly cwd?: string;
}

/** Runs Tessera's entry as a real process; resolves once it logs that it is listening. */
export async function spawnTessera(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<TesseraProcess> {
  const timeoutMs = options.timeoutMs ?? PATIENCE_MS;
  const child = spawn(process.execPath, [options.entry ?? MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);

  const { url, origin } = await new Promise<{ url: string; origin: string }>(
    (resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`tessera did not start in ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      const onData = () => {
        const match = /"issuer":"(http[^"]+)".*"port":(\d+).*"msg":"tessera listening"/.exec(
          output,
        );
        if (match) {
          clearTimeout(timer);
          resolvePromise({ url: match[1]!, origin: `http://127.0.0.1:${match[2]!}` });
        }
      };
      child.stdout.on('data', onData);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`tessera exited (${code}) before listening:\n${output}`));
      });
    },
  );
  return { child, url, origin, output: () => output, exited };
}

/** Runs Tessera's entry expecting it to refuse to start; returns exit code and output. */
export async function runTesseraExpectingFailure(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<{ code: number | string; output: string }> {
  const child = spawn(process.execPath, [options.entry ?? MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? PATIENCE_MS);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return { code: code ?? signal ?? 'unknown', output };
}

/**
 * Polls `probe` until it returns a value (not undefined). `timeoutMs` only turns a condition
 * that never comes into a clear failure; what the test proves must not depend on it.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = PATIENCE_MS,
  intervalMs = 25,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, intervalMs));
  }
}
