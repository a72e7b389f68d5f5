import { describe, expect, it } from 'vitest';

import {
  applyProfileChange,
  normaliseLocale,
  normalisePicture,
  normaliseZoneinfo,
  type AccountProfile,
} from '../../src/services/account-profile.ts';
import { AppError } from '../../src/services/app-error.ts';

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof AppError ? { code: error.code, field: error.field } : error;
  }
  return undefined;
};

describe('profile field rules', () => {
  it.each([
    ['en-us', 'en-US'],
    ['zh-hant-tw', 'zh-Hant-TW'],
    ['iw', 'he'],
    ['de-DE-u-co-phonebk', 'de-DE-u-co-phonebk'],
    [' fr ', 'fr'],
  ])('stores the locale %j as %j', (input, stored) => {
    expect(normaliseLocale(input)).toBe(stored);
  });

  it.each(['en_US', 'english', 'en-', 'x-private', 'a'.repeat(36)])(
    'refuses the locale %j',
    (input) => {
      expect(refusal(() => normaliseLocale(input))).toEqual({
        code: 'validation_failed',
        field: 'locale',
      });
    },
  );

  it.each([
    ['Europe/Paris', 'Europe/Paris'],
    ['america/los_angeles', 'America/Los_Angeles'],
    ['UTC', 'UTC'],
    ['Etc/GMT+5', 'Etc/GMT+5'],
    ['US/Eastern', 'US/Eastern'],
  ])('stores the time zone %j as %j', (input, stored) => {
    expect(normaliseZoneinfo(input)).toBe(stored);
  });

  it.each(['+01:00', '-0500', 'Europe/Atlantis', 'Europe/../Paris', 'Europe Paris'])(
    'refuses the time zone %j',
    (input) => {
      expect(refusal(() => normaliseZoneinfo(input))).toEqual({
        code: 'validation_failed',
        field: 'zoneinfo',
      });
    },
  );

  it('takes http pictures outside production only', () => {
    const url = 'http://pictures.example.com/a.png';
    expect(normalisePicture(url, { production: false })).toBe(url);
    expect(refusal(() => normalisePicture(url, { production: true }))).toEqual({
      code: 'validation_failed',
      field: 'picture',
    });
  });

  it.each(['data:image/png;base64,AAAA', 'ftp://example.com/a.png', '//example.com/a.png'])(
    'refuses the picture %j',
    (input) => {
      expect(refusal(() => normalisePicture(input, { production: false }))).toEqual({
        code: 'validation_failed',
        field: 'picture',
      });
    },
  );

  it('reports only the fields whose stored value a change alters', () => {
    const current: AccountProfile = {
      name: 'Alice',
      givenName: 'Alice',
      familyName: undefined,
      locale: 'en-GB',
      zoneinfo: undefined,
      picture: undefined,
    };
    const { profile, changed } = applyProfileChange(
      current,
      { name: ' Alice ', locale: 'EN-gb', familyName: 'Liddell', givenName: null },
      { production: false },
    );
    expect(changed).toEqual(['given_name', 'family_name']);
    expect(profile).toEqual({ ...current, givenName: undefined, familyName: 'Liddell' });
  });
});
