import type { ConfigWarning } from './config.ts';
import type { ConfigProblem } from './config-error.ts';
import { ENV_RULES, ENV_VARIABLES, type Env } from './env-schema.ts';

export interface EnvReading {
  /** Every variable's parsed value; complete only when there is no problem. */
  readonly env: Env;
  /** At most one per variable. */
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly ConfigWarning[];
}

/**
 * Parses every variable with its own schema, then checks the rules among them, collecting every
 * problem rather than stopping at the first (so one restart shows all there is to fix).
 */
export function readEnv(raw: Readonly<Record<string, string | undefined>>): EnvReading {
  const values: Record<string, unknown> = {};
  const problems = new Map<string, string>();
  for (const [name, variable] of Object.entries(ENV_VARIABLES)) {
    const result = variable.schema.safeParse(raw[name]);
    if (result.success) values[name] = result.data;
    else problems.set(name, `invalid value (${result.error.issues[0]?.message ?? 'unknown'})`);
  }

  const production = values.NODE_ENV === 'production';
  const guarded = refusingReported(values, problems) as Env;
  const warnings: ConfigWarning[] = [];
  for (const rule of ENV_RULES) {
    if (problems.has(rule.variable)) continue;
    let verdict: ReturnType<typeof rule.check>;
    try {
      verdict = rule.check(guarded, production);
    } catch (error) {
      if (error instanceof ReadsReportedVariable) continue;
      throw error;
    }
    if (typeof verdict === 'string') problems.set(rule.variable, verdict);
    else if (verdict) warnings.push({ variable: rule.variable, message: verdict.warning });
  }

  return {
    env: values as Env,
    problems: [...problems].map(([variable, message]) => ({ variable, message })),
    warnings,
  };
}

/** A rule read a variable that is already reported: it is checked once that one is fixed. */
class ReadsReportedVariable extends Error {}

/**
 * The values, as a rule sees them: reading a variable already reported (its value is missing or
 * itself refused) stops the rule rather than judging a value that will change anyway.
 */
function refusingReported(
  values: Record<string, unknown>,
  problems: ReadonlyMap<string, string>,
): Record<string, unknown> {
  return new Proxy(values, {
    get(target, name) {
      if (typeof name === 'string' && problems.has(name)) throw new ReadsReportedVariable(name);
      return Reflect.get(target, name) as unknown;
    },
  });
}
