/** Exit codes of the `tessera` CLI (docs/admin-api-and-cli.md#the-tessera-cli). */
export const EXIT_OK = 0;
/** A user error: refused credentials, invalid input, unknown id, Tessera unreachable. */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;

/** An error the CLI reports as one line on stderr before exiting with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string) => new CliError(message, EXIT_USAGE);
