import { describe, expect, it } from 'vitest';

import { AppError } from '../../src/services/app-error.ts';
import { assertSafeDisplayText } from '../../src/services/display-text.ts';

const refusalOf = (text: string) => {
  try {
    assertSafeDisplayText(text, 'name');
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
};

describe('text shown to people (names)', () => {
  it.each([
    ['a C0 control', 'Ali\u0007ce'],
    ['DEL', 'Alice\u007f'],
    ['a C1 control', 'Alice\u0085'],
    ['a right-to-left override', 'invoice\u202Etxt.exe'],
    ['a left-to-right embedding', '\u202AAlice'],
    ['a pop directional formatting', 'Alice\u202C'],
    ['a first-strong isolate', 'Alice\u2068Bob\u2069'],
    ['a right-to-left isolate', '\u2067Alice'],
    ['a left-to-right mark', 'Alice\u200E'],
    ['a right-to-left mark', '\u200FAlice'],
    ['an Arabic letter mark', 'Alice\u061C'],
    ['a line separator', 'Alice\u2028Bob'],
    ['a paragraph separator', 'Alice\u2029Bob'],
  ])('refuses %s, naming the field and the code point', (_why, text) => {
    const error = refusalOf(text);
    expect(error).toMatchObject({ code: 'validation_failed', field: 'name' });
    expect(error?.message).toMatch(
      /^name contains a control or text-direction character \(U\+[0-9A-F]{4}\)$/,
    );
  });

  it.each([
    ['plain Latin', 'Alice Liddell'],
    ['Hebrew', 'אליס'],
    ['Arabic', 'أليس'],
    ['a Persian name with a zero-width non-joiner', 'می\u200Cخواهم'],
    ['an emoji sequence with a zero-width joiner', 'Team 👩\u200D💻'],
    ['accents and symbols', 'Crème Brûlée & Co. (Paris) — №1'],
  ])('accepts %s', (_why, text) => {
    expect(refusalOf(text)).toBeUndefined();
  });
});
