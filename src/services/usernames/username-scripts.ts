/**
 * The script rules of a new username: Unicode TS #39 "Highly Restrictive" (section 5.2) and
 * mixed-number detection (section 5.3). They keep one username from borrowing look-alike
 * letters of another script (`аlice` with a Cyrillic `а`); whole-script look-alikes are caught
 * by the skeleton (username-skeleton.ts).
 */

/**
 * The Recommended scripts of UAX #31 (table 5), whose characters UTS #39's General Security
 * Profile allows in identifiers. A letter of any other script (Cherokee, Lisu, Canadian
 * Syllabics, … several of them full of Latin look-alikes) is refused in usernames.
 */
const RECOMMENDED_SCRIPTS = [
  'Arabic',
  'Armenian',
  'Bengali',
  'Bopomofo',
  'Cyrillic',
  'Devanagari',
  'Ethiopic',
  'Georgian',
  'Greek',
  'Gujarati',
  'Gurmukhi',
  'Han',
  'Hangul',
  'Hebrew',
  'Hiragana',
  'Kannada',
  'Katakana',
  'Khmer',
  'Lao',
  'Latin',
  'Malayalam',
  'Myanmar',
  'Oriya',
  'Sinhala',
  'Tamil',
  'Telugu',
  'Thaana',
  'Thai',
  'Tibetan',
] as const;

type Script = (typeof RECOMMENDED_SCRIPTS)[number];

/** `\p{Script_Extensions=…}` of each script, built once. */
const SCRIPT_PATTERNS = new Map<Script, RegExp>(
  RECOMMENDED_SCRIPTS.map((script) => [
    script,
    new RegExp(`\\p{Script_Extensions=${script}}`, 'u'),
  ]),
);

/** Characters used with every script (digits 0–9, `. _ @ + -`, most combining marks). */
const ANY_SCRIPT = /[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]/u;

/**
 * The combinations UTS #39 section 5.2 allows at "Highly Restrictive" besides a single script:
 * the way Japanese, Chinese and Korean are written, each with Latin.
 */
const ALLOWED_COMBINATIONS: readonly (readonly Script[])[] = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

/** The recommended scripts a character belongs to (its Script_Extensions among them). */
const scriptsOf = (char: string): Script[] =>
  RECOMMENDED_SCRIPTS.filter((script) => SCRIPT_PATTERNS.get(script)!.test(char));

/**
 * The zero of the decimal digit `char` (`0` for `7`, `٠` for `٧`): Unicode encodes each decimal
 * system's digits 0–9 consecutively, so it is found by walking back over the digits before it.
 */
function zeroOf(char: string): number {
  const codePoint = char.codePointAt(0)!;
  let start = codePoint;
  while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start -= 1;
  return start + Math.floor((codePoint - start) / 10) * 10;
}

export type ScriptProblem =
  | { readonly kind: 'unsupported_script'; readonly char: string }
  | { readonly kind: 'mixed_scripts'; readonly scripts: readonly string[] }
  | { readonly kind: 'mixed_digits' };

/**
 * What is wrong with the scripts of `username` (already checked character by character,
 * username-characters.ts), or undefined:
 *
 * - a letter of a script outside RECOMMENDED_SCRIPTS;
 * - letters of two scripts, except the CJK combinations above (the resolved script set of
 *   UTS #39 section 5.1 is empty). Characters of every script (ASCII digits, `. _ @ + -`,
 *   combining marks) go with any, and a character used by several scripts (Script_Extensions,
 *   e.g. Arabic-Indic digits or Japanese prolonged sound marks) with each of them;
 * - decimal digits of two number systems (`1` and `١`), which can look alike (section 5.3).
 */
export function findScriptProblem(username: string): ScriptProblem | undefined {
  const sets: Script[][] = [];
  const zeros = new Set<number>();
  for (const char of username) {
    if (/\p{Nd}/u.test(char)) zeros.add(zeroOf(char));
    if (ANY_SCRIPT.test(char)) continue;
    const scripts = scriptsOf(char);
    if (scripts.length === 0) return { kind: 'unsupported_script', char };
    sets.push(scripts);
  }
  if (zeros.size > 1) return { kind: 'mixed_digits' };
  const common = sets.reduce<readonly Script[]>(
    (resolved, scripts) => resolved.filter((script) => scripts.includes(script)),
    RECOMMENDED_SCRIPTS,
  );
  if (common.length > 0) return undefined;
  const covered = ALLOWED_COMBINATIONS.some((combination) =>
    sets.every((scripts) => scripts.some((script) => combination.includes(script))),
  );
  if (covered) return undefined;
  const scripts = [...new Set(sets.map((set) => set[0]!))];
  return { kind: 'mixed_scripts', scripts };
}
