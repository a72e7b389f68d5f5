/**
 * Which characters a new username may hold: the PRECIS IdentifierClass (RFC 8264 section 4.2)
 * that RFC 8265 section 3.3 builds usernames on, narrowed to letters, marks, decimal digits and
 * `. _ @ + -` (so that an email address works as a username), plus the Bidi Rule (RFC 5893)
 * that RFC 8265 section 3.4.1 applies to usernames holding right-to-left characters.
 */

/**
 * Letters and digits in the sense of PRECIS "LetterDigits" (RFC 8264 section 9.1: Ll, Lu, Lo,
 * Lm, Mn, Mc, Nd) and the ASCII punctuation Tessera allows. Title-case letters (Lt), letter-like
 * numbers (Nl, No) and enclosing marks (Me) are not LetterDigits, so PRECIS refuses them.
 */
const ALLOWED = /^[\p{Ll}\p{Lu}\p{Lo}\p{Lm}\p{Mn}\p{Mc}\p{Nd}._@+-]$/u;

/**
 * Refused although their category would pass: characters ignorable in display, which make two
 * usernames look identical (variation selectors, the combining grapheme joiner; PRECIS
 * "PrecisIgnorableProperties", RFC 8264 section 9.13), conjoining old Hangul jamo (section 9.9;
 * modern Hangul is typed as precomposed syllables), and the characters RFC 5892 section 2.6
 * lists as DISALLOWED exceptions (tatweel, NKo lajanyan, Hangul tone marks, vertical kana
 * repeat marks), which PRECIS inherits (RFC 8264 section 9.6).
 */
const REFUSED =
  /\p{Default_Ignorable_Code_Point}|[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u0640\u07fa\u3031-\u3035\u303b]|\u302e|\u302f/u;

/**
 * The PRECIS width-mapping rule (RFC 8264 section 9.11, RFC 8265 section 3.3.1 step 1): a
 * full-width or half-width character becomes its ordinary form (`Ａ` → `A`, `ｶ` → `カ`).
 */
export function mapWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffee]/gu, (char) => char.normalize('NFKC'));
}

/** `U+202E`: how a message names a character without printing it. */
export const codePointOf = (char: string): string =>
  `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The first character of `username` (width-mapped, NFC) that a username may not hold, or
 * undefined. Besides the rules above: a character with a compatibility decomposition, such as a
 * ligature, a superscript or a styled mathematical letter (`ﬁ`, `²`, `𝐚`), is refused rather than
 * folded (PRECIS "HasCompat", RFC 8264 section 9.17), as is anything unassigned.
 */
export function findDisallowedCharacter(username: string): string | undefined {
  for (const char of username) {
    if (!ALLOWED.test(char) || REFUSED.test(char)) return char;
    if (char.normalize('NFKC') !== char.normalize('NFC')) return char;
  }
  return undefined;
}

/** A character's bidirectional class, as far as the characters ALLOWED hold them. */
type BidiClass = 'L' | 'R' | 'AN' | 'EN' | 'ES' | 'CS' | 'ON' | 'NSM';

/** Letters of the right-to-left scripts among those usernames may use (username-scripts.ts). */
const RIGHT_TO_LEFT_LETTER = /(?=\p{L})[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Thaana}]/u;

/**
 * The Unicode Bidi_Class (UAX #9) of a character ALLOWED lets through. JavaScript regular
 * expressions cannot ask for Bidi_Class, so it is derived: letters of Hebrew, Arabic and
 * Thaana are R/AL (both treated alike by the Bidi Rule), Arabic-Indic digits AN, ASCII and
 * extended Arabic-Indic digits EN, non-spacing marks NSM, `+ -` ES, `.` CS, `_ @` ON, and
 * everything else (other letters, spacing marks, other digits) L.
 */
function bidiClassOf(char: string): BidiClass {
  if (RIGHT_TO_LEFT_LETTER.test(char)) return 'R';
  if (/[\u0660-\u0669]/u.test(char)) return 'AN';
  if (/[0-9\u06f0-\u06f9]/u.test(char)) return 'EN';
  if (/\p{Mn}/u.test(char)) return 'NSM';
  if (char === '+' || char === '-') return 'ES';
  if (char === '.') return 'CS';
  if (char === '_' || char === '@') return 'ON';
  return 'L';
}

/**
 * Whether a username holding right-to-left characters breaks the Bidi Rule (RFC 5893 section
 * 2), which keeps it from displaying in an order that misleads: it must start with a
 * right-to-left letter, hold no left-to-right character, end with a right-to-left letter or a
 * digit (marks aside), and not mix European and Arabic-Indic digits. Usernames without
 * right-to-left characters are exempt (RFC 8265 section 3.4.1 step 5).
 */
export function breaksBidiRule(username: string): boolean {
  const classes = [...username].map(bidiClassOf);
  if (!classes.some((bidi) => bidi === 'R' || bidi === 'AN')) return false;
  if (classes[0] !== 'R') return true;
  if (classes.includes('L')) return true;
  if (classes.includes('EN') && classes.includes('AN')) return true;
  const last = classes.findLast((bidi) => bidi !== 'NSM');
  return last !== 'R' && last !== 'EN' && last !== 'AN';
}
