import { describe, expect, it } from 'vitest';

import { normaliseUsername, usernameKeyOf } from '../../src/services/account-rules.ts';
import { AppError } from '../../src/services/app-error.ts';
import { mapWidth } from '../../src/services/usernames/username-characters.ts';
import { usernameSkeletonOf } from '../../src/services/usernames/username-skeleton.ts';

/** The refusal's message, or undefined when the username is accepted. */
function refusalOf(username: string): string | undefined {
  try {
    normaliseUsername(username);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'validation_failed', field: 'username' });
    return (error as AppError).message;
  }
}

const skeletonOf = (username: string) => usernameSkeletonOf(usernameKeyOf(username));

/** A deterministic pseudo-random source (mulberry32), so a failure replays. */
function randomSource(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('username keys (RFC 8265 UsernameCaseMapped)', () => {
  it('equals width mapping, then toLowerCase, then NFC for every username the rules accept', () => {
    // Letters of several scripts in both cases, full- and half-width forms, combining marks
    // (which lower-casing can leave decomposed or out of order), digits and punctuation.
    const pool = [
      ...'AaZzÅåİIıßẞΣσςΐΆάЁёЖжԱաהשعم田カｶﾞガ한ＡｚＺ０９H̱ẖǰJ̌ᾼᾳΩω.-_@+09',
      '\u0301',
      '\u0307',
      '\u0316',
      '\u0331',
      '\u0345',
      '\u030c',
    ];
    const random = randomSource(8265);
    let compared = 0;
    for (let round = 0; round < 5000; round += 1) {
      const length = 1 + Math.floor(random() * 8);
      let candidate = '';
      for (let i = 0; i < length; i += 1) candidate += pool[Math.floor(random() * pool.length)];
      let username: string;
      try {
        username = normaliseUsername(candidate);
      } catch {
        continue;
      }
      const precis = mapWidth(candidate).toLowerCase().normalize('NFC');
      expect(usernameKeyOf(username), JSON.stringify(candidate)).toBe(precis);
      expect(usernameKeyOf(candidate), JSON.stringify(candidate)).toBe(precis);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('gives the upper and lower case of a letter with a mark below one key', () => {
    // Lower-casing `H̱` leaves `h` + U+0331, which NFC composes to `ẖ`: NFKC then lower-case
    // alone (Tessera's earlier key) kept the two apart.
    expect(usernameKeyOf('H\u0331ab')).toBe(usernameKeyOf('\u1e96ab'));
    expect(usernameKeyOf('H\u0331ab')).toBe('\u1e96ab');
  });

  it('maps full-width forms to ordinary ones, in the key and in the username as stored', () => {
    expect(normaliseUsername('Ａｌｉｃｅ')).toBe('Alice');
    expect(usernameKeyOf('Ａｌｉｃｅ')).toBe('alice');
    expect(normaliseUsername('ｶﾞﾗｽ')).toBe('ガラス');
  });
});

describe('username characters (PRECIS IdentifierClass)', () => {
  it.each([
    ['a ligature', 'ﬁle'],
    ['a superscript', 'user²'],
    ['a styled mathematical letter', '𝐚lice'],
    ['a black-letter capital', 'ℌarry'],
    ['a title-case digraph', 'ǅokić'],
    ['a Roman numeral', 'henryⅧ'],
    ['a circled letter', 'ⓐlice'],
    ['a space', 'alice smith'],
    ['a symbol', 'alice☃'],
    ['non-ASCII punctuation', 'alice·bob'],
    ['a right-to-left override', 'alice\u202Exyz'],
    ['a left-to-right isolate', '\u2066alice'],
    ['a pop directional isolate', 'alice\u2069'],
    ['a left-to-right mark', 'alice\u200E'],
    ['a right-to-left mark', '\u200Falice'],
    ['a NUL', 'ali\u0000ce'],
    ['a C0 control', 'ali\u0007ce'],
    ['DEL', 'alice\u007f'],
    ['a C1 control', 'alice\u0085'],
    ['a zero-width joiner', 'ali\u200Dce'],
    ['a zero-width non-joiner', 'ali\u200Cce'],
    ['a zero-width space', 'ali\u200Bce'],
    ['a variation selector', 'alice\uFE0F'],
    ['a combining grapheme joiner', 'ali\u034Fce'],
    ['the Hangul filler', '\u3164'],
    ['the half-width Hangul filler', '\uFFA0'],
    ['conjoining old Hangul jamo (no modern syllable)', '\u1113\u1161'],
    ['an Arabic tatweel', 'محـمد'],
  ])('refuses %s', (_why, username) => {
    expect(refusalOf(username)).toMatch(
      /^username may contain letters, digits and \. _ @ \+ - only/,
    );
  });

  it('names the refused character by code point, never by printing it', () => {
    expect(refusalOf('alice\u202Exyz')).toContain('(U+202E is not allowed)');
  });

  it('refuses an empty username and one longer than 64 characters', () => {
    expect(refusalOf('   ')).toMatch(/1 to 64 characters/);
    expect(refusalOf('a'.repeat(65))).toMatch(/1 to 64 characters/);
  });
});

describe('username scripts (UTS #39 Highly Restrictive)', () => {
  it.each([
    ['Latin with one Cyrillic letter', '\u0430lice'],
    ['Latin with one Greek letter', '\u03b4alpha'],
    ['Greek with Latin', 'Ωmega'],
    ['Cyrillic with Latin digits-like letters', 'кошкаcat'],
    ['Hangul with Cyrillic', '한국어слово'],
  ])('refuses %s as mixed scripts', (_why, username) => {
    expect(refusalOf(username)).toMatch(/^username mixes scripts/);
  });

  it.each([
    ['Cherokee, full of Latin look-alikes', 'ᎪᏞᎥᏟᎬ'],
    ['Lisu', 'ꓮꓡꓲꓚꓰ'],
    ['Canadian syllabics', 'ᗅᗷᑕ'],
  ])('refuses %s as a script usernames may not use', (_why, username) => {
    expect(refusalOf(username)).toMatch(/^username uses a script that usernames may not use/);
  });

  it.each([
    ['ASCII and Arabic-Indic digits', 'user\u0661\u0032'],
    ['ASCII and Devanagari digits', 'राम१2'],
  ])('refuses %s as mixed number systems', (_why, username) => {
    expect(refusalOf(username)).toMatch(/^username mixes digits/);
  });

  it.each([
    ['Latin with digits and punctuation', 'alice.smith_42+tag@example.com'],
    ['accented Latin', 'José-Ñúñez'],
    ['Cyrillic', 'наталья'],
    ['Greek with digits', 'καλημέρα-1'],
    ['Japanese: Han, Hiragana, Katakana and Latin', '田中さんのカメラ2go'],
    ['Chinese with Latin', '王小明wang'],
    ['Korean with Latin', '김민준kim'],
    ['Devanagari with its own digits', 'राम१२'],
    ['Arabic with Arabic-Indic digits', 'محمد١٢'],
    ['Hebrew with ASCII digits', 'שלום123'],
    ['Hebrew around a dot', 'משה.כהן'],
    ['Thai', 'สมชาย'],
  ])('accepts %s', (_why, username) => {
    expect(refusalOf(username)).toBeUndefined();
  });
});

describe('right-to-left usernames (RFC 5893 Bidi Rule)', () => {
  it.each([
    ['starting with a digit', '123שלום'],
    ['ending with a dot', 'שלום.'],
    ['ending with an underscore', 'محمد_'],
    ['starting with a hyphen', '-שלום'],
  ])('refuses one %s', (_why, username) => {
    expect(refusalOf(username)).toMatch(/^a right-to-left username must/);
  });
});

describe('username skeletons (confusables, after UTS #39)', () => {
  it.each([
    ['whole-script Cyrillic', 'alice', '\u0430\u04cf\u0456\u0441\u0435'],
    ['a capital I for an l', 'alice', 'aIice'],
    ['a digit one for an l', 'alice', 'a1ice'],
    ['a digit zero for an o', 'bobo', 'bob0'],
    ['Greek capitals identical to Latin ones', 'happy', 'ΗΑΡΡΥ'],
    ['Cyrillic capitals identical to Latin ones', 'kate', 'КАТЕ'],
    ['Cyrillic komi de', 'dad', '\u0501\u0430\u0501'],
    ['Armenian letters', 'oh', 'օհ'],
    ['a dotless i', 'ali', 'alı'],
  ])('gives %s the same skeleton', (_why, one, other) => {
    expect(skeletonOf(other)).toBe(skeletonOf(one));
    expect(usernameKeyOf(other)).not.toBe(usernameKeyOf(one));
  });

  it.each([
    ['accented and plain', 'josé', 'jose'],
    ['different names', 'alice', 'alicia'],
    ['look-alike sequences, which are not mapped', 'dan', 'clan'],
    ['rn and m', 'mary', 'rnary'],
  ])('keeps %s apart', (_why, one, other) => {
    expect(skeletonOf(other)).not.toBe(skeletonOf(one));
  });

  it('is the same for the same username in any case or width', () => {
    expect(skeletonOf('ALICE')).toBe(skeletonOf('alice'));
    expect(skeletonOf('Ａｌｉｃｅ')).toBe(skeletonOf('alice'));
  });
});
