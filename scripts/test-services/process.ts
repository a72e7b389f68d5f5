import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A long-running child whose stdout and stderr go to a log file. */
export interface LoggedProcess {
  pid: number;
  logFile: string;
  /** Settles when the process has exited, for whatever reason. */
  exited: Promise<ExitStatus>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs: number): Promise<ExitStatus>;
  /** SIGKILL, as a crash would; resolves once the process has exited. */
  kill(): Promise<ExitStatus>;
}

export interface SpawnLoggedOptions {
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a service with its output appended to `logFile`.
 *
 * The file descriptor is handed to the child directly rather than piped through Node, so the
 * service never blocks on a full pipe while the test process is busy, and the log survives us.
 */
export async function spawnLogged(options: SpawnLoggedOptions): Promise<LoggedProcess> {
  const log = await open(options.logFile, 'a');
  let running = true;
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', log.fd, log.fd],
    });
    // A crashed test script must not leave a 512 MiB JVM behind: 'exit' handlers run on normal
    // exits and uncaught errors (Ctrl-C already signals the whole process group).
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    const exited = new Promise<ExitStatus>((resolve, reject) => {
      child.once('error', (error) => {
        running = false;
        process.off('exit', killOnExit);
        reject(new Error(`cannot start ${options.command}: ${error.message}`, { cause: error }));
      });
      child.once('exit', (code, signal) => {
        running = false;
        process.off('exit', killOnExit);
        resolve({ code, signal });
      });
    });
    // spawn reports a missing executable asynchronously; wait for either outcome before returning.
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      exited.catch(reject);
    });
    if (child.pid === undefined) throw new Error(`cannot start ${options.command}: no pid`);
    const pid = child.pid;

    const signalAndWait = async (signal: NodeJS.Signals): Promise<ExitStatus> => {
      if (running) child.kill(signal);
      return exited;
    };
    return {
      pid,
      logFile: options.logFile,
      exited,
      isRunning: () => running,
      stop: async (graceMs) => {
        const escalation = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await signalAndWait('SIGTERM');
        } finally {
          clearTimeout(escalation);
        }
      },
      kill: () => signalAndWait('SIGKILL'),
    };
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a build or download command to completion; resolves with stdout, rejects with the output tail. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<string> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 10 * 60_000,
    killSignal: 'SIGKILL',
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const status = await new Promise<ExitStatus>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error })),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const out = Buffer.concat(stdout).toString('utf8');
  if (status.code !== 0) {
    const output = `${out}\n${Buffer.concat(stderr).toString('utf8')}`;
    throw new Error(
      `${command} ${args.join(' ')} failed (${describeExit(status)}):\n${tailLines(output, 40)}`,
    );
  }
  return out;
}

/** The last lines of a service log, for startup error messages; empty if the file is unreadable. */
export async function readLogTail(file: string, lines = 40): Promise<string> {
  try {
    return tailLines(await readFile(file, 'utf8'), lines);
  } catch {
    return '';
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal === null ? `exit code ${String(status.code)}` : `signal ${status.signal}`;
}

function tailLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
