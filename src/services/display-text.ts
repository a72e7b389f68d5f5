import { AppError } from './app-error.ts';

/**
 * Characters refused in the names people read on Tessera's pages and in admin tools (account and
 * client names), and in usernames:
 *
 * - control characters (`\p{Cc}`: C0, DEL and C1), which terminals and logs interpret;
 * - every bidirectional formatting character (`\p{Bidi_Control}`: U+061C, U+200E, U+200F,
 *   U+202A–U+202E, U+2066–U+2069). The embeddings, overrides and isolates reorder the text around
 *   them, so a name can display as something it is not (the "Trojan Source" attack, CVE-2021-42574);
 *   the marks (LRM, RLM, ALM) are invisible and let two different names display identically. A
 *   name that needs its direction isolated gets that from the page rendering it, not from
 *   characters stored in it;
 * - the line and paragraph separators (U+2028, U+2029), which break a name across lines.
 *
 * Zero-width joiners (U+200C, U+200D) stay allowed in names: Persian and Indic names and emoji
 * sequences need them. Usernames refuse them through their own, stricter rule (account-rules.ts).
 */
const UNSAFE_IN_DISPLAY_TEXT = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;

/** Throws AppError('validation_failed') naming `field` when `text` holds a character above. */
export function assertSafeDisplayText(text: string, field: string): void {
  const unsafe = UNSAFE_IN_DISPLAY_TEXT.exec(text)?.[0];
  if (unsafe === undefined) return;
  const codePoint = `U+${unsafe.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  throw new AppError(
    'validation_failed',
    `${field} contains a control or text-direction character (${codePoint})`,
    { field },
  );
}
