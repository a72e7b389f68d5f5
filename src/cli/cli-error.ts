/** Exit codes of the `tessera` CLI (docs/admin-api-and-cli.md#the-tessera-cli). */
export const EXIT_OK = 0;
/** A user error: refused credentials, invalid input, unknown id, Tessera unreachable. */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;
/** `tessera plan`: the request succeeded and applying the file would change something. */
export const EXIT_CHANGES = 3;

/** An error the CLI reports as one line on stderr before exiting with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  /** The admin API's HTTP status, when the error is its answer. */
  readonly httpStatus: number | undefined;

  constructor(message: string, exitCode: number = EXIT_FAILURE, httpStatus?: number) {
    super(message);
    this.exitCode = exitCode;
    this.httpStatus = httpStatus;
  }
}

export const usageError = (message: string) => new CliError(message, EXIT_USAGE);

/** Ends the run with `exitCode` and nothing more said: the command has printed its result. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}
