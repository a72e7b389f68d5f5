/**
 * What an online guesser tries first, as positions in a password: runs of repeated or
 * consecutive characters, and words known from the context. NIST SP 800-63B (rev. 3, section
 * 5.1.1.2) names both: "repetitive or sequential characters (e.g. 'aaaaaa', '1234abcd')" and
 * "context-specific words, such as the name of the service, the username, and derivatives
 * thereof"; rev. 4 section 3.1.1.2 keeps them as what a blocklist of "expected" values holds.
 */

/**
 * Orders in which consecutive characters form a sequence, with the shortest run that counts.
 * Three digits in a row (`123`, `987`) are what people add to a word; three letters in a row
 * occur in ordinary words (fir*st*, *stu*dent, p*ow*er, *poi*nt), so alphabet and keyboard runs
 * count from four (`abcd`, `qwer`, `lkjh`).
 */
const SEQUENCES: readonly { readonly order: string; readonly minRun: number }[] = [
  { order: '0123456789', minRun: 3 },
  { order: '1234567890', minRun: 3 },
  { order: 'abcdefghijklmnopqrstuvwxyz', minRun: 4 },
  // QWERTY, QWERTZ and AZERTY letter rows.
  ...[
    'qwertyuiop',
    'asdfghjkl',
    'zxcvbnm',
    'qwertzuiop',
    'yxcvbnm',
    'azertyuiop',
    'qsdfghjklm',
    'wxcvbn',
  ].map((order) => ({ order, minRun: 4 })),
];

/** One character this many times in a row (`aaa`, `!!!`) counts as predictable. */
const MIN_REPEAT = 3;
/** Longest repeated unit looked for: `ababab`, `abcabcabc`, `abcdabcdabcd` (three repetitions or more). */
const MAX_UNIT = 4;

/** Marks `[start, end)` of `covered`. */
const cover = (covered: boolean[], start: number, end: number) => {
  for (let i = start; i < end; i += 1) covered[i] = true;
};

/** Length of the sequence starting at `start` that follows `order` one step at a time. */
function sequenceLength(chars: readonly string[], start: number, order: string, step: 1 | -1) {
  let end = start + 1;
  while (end < chars.length) {
    const at = order.indexOf(chars[end - 1]!);
    if (at < 0 || order[at + step] !== chars[end]) break;
    end += 1;
  }
  return end - start;
}

/** Length of the stretch from `start` in which each character repeats the one `unit` before. */
function periodicLength(chars: readonly string[], start: number, unit: number) {
  let end = start + unit;
  while (end < chars.length && chars[end] === chars[end - unit]) end += 1;
  return Math.min(end, chars.length) - start;
}

/**
 * Marks the characters of `chars` (lower-cased code points) that belong to a predictable run:
 * one character repeated {@link MIN_REPEAT} times or more (`aaa`), a unit of 2 to
 * {@link MAX_UNIT} characters repeated three times or more (`ababab`), or a run of consecutive
 * characters of one of {@link SEQUENCES}, forwards or backwards (`123`, `987`, `abcd`, `qwer`).
 */
export function markRuns(chars: readonly string[], covered: boolean[]): void {
  for (let start = 0; start < chars.length; start += 1) {
    const repeated = periodicLength(chars, start, 1);
    if (repeated >= MIN_REPEAT) cover(covered, start, start + repeated);
    for (let unit = 2; unit <= MAX_UNIT; unit += 1) {
      const length = periodicLength(chars, start, unit);
      if (length >= 3 * unit) cover(covered, start, start + length);
    }
    for (const { order, minRun } of SEQUENCES) {
      for (const step of [1, -1] as const) {
        const length = sequenceLength(chars, start, order, step);
        if (length >= minRun) cover(covered, start, start + length);
      }
    }
  }
}

/** Marks every occurrence of each of `words` (lower-cased code points) in `chars`. */
export function markWords(
  chars: readonly string[],
  words: readonly (readonly string[])[],
  covered: boolean[],
): void {
  for (const word of words) {
    if (word.length === 0) continue;
    for (let start = 0; start + word.length <= chars.length; start += 1) {
      if (word.every((char, i) => chars[start + i] === char)) {
        cover(covered, start, start + word.length);
      }
    }
  }
}
