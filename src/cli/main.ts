import { CommanderError } from 'commander';

import { CliError, CliExit, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { createProgram } from './program.ts';

/** Runs one CLI invocation and returns its exit code; nothing here calls process.exit. */
async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (or the help). --help is success; anything
      // else it refuses — unknown command or option, missing argument — is a usage error.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CliError) {
      io.stderr.write(`tessera: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`tessera: unexpected error: ${(error as Error).message ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}

// `tessera … | head` closes the pipe early: that ends the run quietly, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
