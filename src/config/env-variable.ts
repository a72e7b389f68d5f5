import { z } from 'zod';

/**
 * One environment variable: how its raw value parses, and how docs/configuration.md describes
 * it (`npm run config:doc` renders the reference from these definitions alone).
 */
export interface EnvVariable<Value = unknown> {
  /** Parses the raw value (undefined when unset), with its default and range. */
  readonly schema: z.ZodType<Value>;
  /** What it does, as Markdown (a phrase, like a table cell). */
  readonly description: string;
  /** The value used when unset, as Markdown; the builders below fill it in from the schema's. */
  readonly default: string;
  /** The values accepted, as Markdown; the builders below fill it in from the schema's range. */
  readonly allowed: string;
}

/** A rule on the parsed values that one schema alone cannot state (or that holds in production). */
export interface EnvRule<Env> {
  /** The variable its message names (the one to change). */
  readonly variable: keyof Env & string;
  /** The rule as the reference states it, after the variable's description. */
  readonly rule: string;
  /** Listed as the variable's production rule in the reference. */
  readonly production?: true;
  /**
   * The problem (refused at startup), a warning (started, and logged), or undefined when the rule
   * holds. Runs only when every variable it reads parsed: an invalid one is reported already.
   */
  check(env: Env, production: boolean): string | { readonly warning: string } | undefined;
}

export type EnvVariables = Readonly<Record<string, EnvVariable>>;

/** The parsed values of `variables`, by name. */
export type EnvOf<Variables extends EnvVariables> = {
  readonly [Name in keyof Variables]: z.output<Variables[Name]['schema']>;
};

/** Variables that belong together, as one section of the reference, with the rules among them. */
export interface EnvGroup<Variables extends EnvVariables> {
  readonly title: string;
  /** The section's introduction, as Markdown. */
  readonly about: string;
  readonly variables: Variables;
  readonly rules: readonly EnvRule<EnvOf<Variables>>[];
}

/** What the reference shows of a group (any group is one). */
export interface EnvGroupReference {
  readonly title: string;
  readonly about: string;
  readonly variables: EnvVariables;
  readonly rules: readonly Pick<
    EnvRule<Record<string, unknown>>,
    'variable' | 'rule' | 'production'
  >[];
}

/** Types a group: the rules' `env` is inferred from the group's own variables. */
export const defineGroup = <Variables extends EnvVariables>(
  group: EnvGroup<Variables>,
): EnvGroup<Variables> => group;

type Parse<Value> = Pick<EnvVariable<Value>, 'schema' | 'default' | 'allowed'>;

/** Blank (after trimming) reads as unset; what is left is trimmed. */
export const blankAsUnset = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** Free text; blank or unset means unset. */
export const optionalText = (): Omit<Parse<string | undefined>, 'default'> => ({
  schema: blankAsUnset,
  allowed: 'any text',
});

export const GENERATE_HINT =
  'generate one with: openssl rand -base64 32 | tr "+/" "-_" | tr -d "="';

/** A secret of at least `minLength` characters; blank or unset means unset. */
export const secretText = (minLength: number): Omit<Parse<string | undefined>, 'default'> => ({
  schema: blankAsUnset.pipe(
    z.string().min(minLength, `needs >= ${minLength} characters; ${GENERATE_HINT}`).optional(),
  ),
  allowed: `at least ${minLength} characters`,
});

/** Non-empty text, `fallback` when unset; `pattern` refuses the rest with its message. */
export const text = (
  fallback: string,
  pattern: { readonly regex: RegExp; readonly message: string } | undefined = undefined,
): Parse<string> => ({
  schema: (pattern ? z.string().regex(pattern.regex, pattern.message) : z.string().min(1)).default(
    fallback,
  ),
  default: code(fallback),
  allowed: pattern?.message ?? 'any non-empty text',
});

/** One of `values`, `fallback` when unset. */
export const oneOf = <const Values extends readonly [string, ...string[]]>(
  values: Values,
  fallback: Values[number],
): Parse<Values[number]> => ({
  schema: z.enum(values).default(fallback),
  default: code(fallback),
  allowed: values.map(code).join(' '),
});

/** `true` or `false` (zod's stringbool: also 1/0, yes/no, on/off, any case), `fallback` when unset. */
export const flag = (fallback: boolean): Parse<boolean> => ({
  schema: z.stringbool().default(fallback),
  default: code(String(fallback)),
  allowed: '`true` `false`',
});

/** Seconds and milliseconds are shown with the readable duration too. */
type Unit = 'seconds' | 'ms' | 'KiB';

interface IntegerRange {
  readonly min: number;
  readonly max: number;
  readonly unit?: Unit;
}

/**
 * An integer in range, `default` when unset. As with any z.coerce, a blank value reads as 0. Without
 * a default, unset stays undefined and the definition states what it means.
 */
export function integer(range: IntegerRange & { readonly default: number }): Parse<number>;
export function integer(range: IntegerRange): Omit<Parse<number | undefined>, 'default'>;
export function integer(
  range: IntegerRange & { readonly default?: number },
): Partial<Parse<number | undefined>> {
  const schema = z.coerce.number().int().min(range.min).max(range.max);
  return range.default === undefined
    ? { schema: schema.optional(), allowed: describeRange(range) }
    : {
        schema: schema.default(range.default),
        default: withUnit(range.default, range.unit),
        allowed: describeRange(range),
      };
}

/** An integer in range that may be left unset (blank too): its default derives from others. */
export const optionalInteger = (
  range: IntegerRange,
): Omit<Parse<number | undefined>, 'default'> => ({
  schema: blankAsUnset.pipe(
    z.coerce.number<string>().int().min(range.min).max(range.max).optional(),
  ),
  allowed: describeRange(range),
});

export const code = (value: string | number): string => `\`${value}\``;

function withUnit(value: number, unit: Unit | undefined): string {
  const readable = readableOf(value, unit);
  return readable === undefined ? code(value) : `${code(value)} (${readable})`;
}

function describeRange({ min, max, unit }: IntegerRange): string {
  const suffix = unit === undefined ? '' : unit === 'seconds' ? ' s' : ` ${unit}`;
  if (max === Number.MAX_SAFE_INTEGER) return `${min}${suffix} or more`;
  const readable = readableOf(max, unit);
  return `${min}–${max}${suffix}${readable === undefined ? '' : ` (${readable})`}`;
}

const DURATIONS = [
  [86_400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
] as const;
const SIZES = [
  [1024 * 1024, 'GiB'],
  [1024, 'MiB'],
] as const;

/** 2592000 seconds: "30 days"; 19456 KiB: "19 MiB"; undefined when nothing rounder exists. */
function readableOf(value: number, unit: Unit | undefined): string | undefined {
  if (unit === 'KiB') {
    const size = SIZES.find(([kib]) => value % kib === 0);
    return size && `${value / size[0]} ${size[1]}`;
  }
  if (unit === undefined) return undefined;
  const seconds = unit === 'ms' ? value / 1000 : value;
  const duration = DURATIONS.find(([length]) => seconds > 0 && seconds % length === 0);
  if (!duration) return undefined;
  const count = seconds / duration[0];
  return `${count} ${duration[1]}${count === 1 ? '' : 's'}`;
}
