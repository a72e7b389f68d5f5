/** A variable's problem: `message` says what is wrong, never its (possibly secret) value. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/**
 * The configuration problems found at startup, at most one per variable. The message has one
 * line per problem, each starting with its variable's name, and is shown as is.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  /** The first problem's variable. */
  readonly variable: string;

  constructor(problems: readonly [ConfigProblem, ...ConfigProblem[]]) {
    super(problems.map(({ variable, message }) => `${variable}: ${message}`).join('\n'));
    this.problems = problems;
    this.variable = problems[0].variable;
  }
}
