import { normaliseName } from './account-rules.ts';
import { AppError } from './app-error.ts';

/**
 * What an account tells applications about its person besides username and email: OIDC Core
 * section 5.1 standard claims, released under the `profile` scope (provider/account-claims.ts).
 */
export interface AccountProfile {
  readonly name: string | undefined;
  readonly givenName: string | undefined;
  readonly familyName: string | undefined;
  /** A BCP 47 language tag (RFC 5646), canonicalised: `en-US`. */
  readonly locale: string | undefined;
  /** An IANA time zone database name: `Europe/Paris`. */
  readonly zoneinfo: string | undefined;
  /** An https URL of a picture of the person (http outside production). */
  readonly picture: string | undefined;
}

export type ProfileField = keyof AccountProfile;

/** Each field's name in the admin API, in errors, in events and as an OIDC claim. */
export const PROFILE_FIELD_NAMES = {
  name: 'name',
  givenName: 'given_name',
  familyName: 'family_name',
  locale: 'locale',
  zoneinfo: 'zoneinfo',
  picture: 'picture',
} as const satisfies Record<ProfileField, string>;

export type ProfileFieldName = (typeof PROFILE_FIELD_NAMES)[ProfileField];

const FIELDS = Object.keys(PROFILE_FIELD_NAMES) as ProfileField[];

/** A change of profile: a string sets the field (empty removes it), null removes it, absent keeps it. */
export type ProfileChange = { readonly [F in ProfileField]?: string | null | undefined };

export interface ProfileRules {
  /** NODE_ENV=production: pictures must be https. */
  readonly production: boolean;
}

/** RFC 5646 section 4.4.1: implementations need not keep tags longer than 35 characters. */
const MAX_LOCALE_LENGTH = 35;
const MAX_ZONEINFO_LENGTH = 64;
const MAX_PICTURE_LENGTH = 2000;

/**
 * An IANA time zone name: `/`-separated components of ASCII letters, digits, `.`, `_`, `-` and
 * `+` (tz-link "Theory and pragmatics of the tz code and data", names), starting with a letter.
 * It leaves out the UTC offsets (`+01:00`) that Intl also accepts as time zones.
 */
const IANA_ZONE_NAME = /^[A-Za-z][A-Za-z0-9._+-]*(?:\/[A-Za-z0-9._+-]+)*$/;

/** Whitespace and control characters, which the URL parser would silently drop or encode. */
const NOT_IN_URL = /[\s\p{Cc}]/u;

const refuse = (field: ProfileFieldName, message: string): never => {
  throw new AppError('validation_failed', message, { field });
};

/**
 * An ISO 639 primary language subtag. RFC 5646 section 2.2.1 reserves 4-letter ones and keeps
 * 5–8 letters for languages registered later, of which there are none: `english-us` is
 * well-formed, but no language.
 */
const ISO_639_LANGUAGE = /^[a-z]{2,3}(?:-|$)/;

/**
 * A locale as stored: a well-formed language tag, canonicalised as Unicode BCP 47 locale
 * identifiers are (UTS #35 via Intl.getCanonicalLocales: `EN-us` → `en-US`, `iw` → `he`). Its
 * subtags are not looked up in the IANA registry (Node ships no copy). `en_US`, which some
 * implementations send (OIDC Core section 5.1, `locale`), is refused rather than guessed at.
 */
export function normaliseLocale(value: string | undefined): string | undefined {
  const tag = value?.trim();
  if (!tag) return undefined;
  const invalid = `locale must be a BCP 47 language tag such as en-US or fr-CA (RFC 5646)`;
  if (tag.length > MAX_LOCALE_LENGTH) refuse('locale', invalid);
  let canonical: string | undefined;
  try {
    [canonical] = Intl.getCanonicalLocales(tag);
  } catch {
    return refuse('locale', invalid);
  }
  if (canonical === undefined || !ISO_639_LANGUAGE.test(canonical)) refuse('locale', invalid);
  return canonical;
}

/**
 * A time zone as stored: an IANA name Node's time zone data knows (Intl), kept as given — ICU
 * would canonicalise `Europe/Kyiv` to the older `Europe/Kiev` — except that a name differing
 * from ICU's own spelling only in case takes that spelling (`europe/paris` → `Europe/Paris`).
 */
export function normaliseZoneinfo(value: string | undefined): string | undefined {
  const name = value?.trim();
  if (!name) return undefined;
  const invalid = `zoneinfo must be an IANA time zone name such as Europe/Paris`;
  if (name.length > MAX_ZONEINFO_LENGTH || !IANA_ZONE_NAME.test(name)) refuse('zoneinfo', invalid);
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return refuse('zoneinfo', invalid);
  }
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}

/**
 * A picture URL as stored: absolute, https (http too outside production, as for client URIs in
 * client-uri-rules.ts), without credentials, serialised by the WHATWG URL parser. Applications
 * fetch or embed it, so plain http would let anyone on the path swap the picture.
 */
export function normalisePicture(
  value: string | undefined,
  rules: ProfileRules,
): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (text.length > MAX_PICTURE_LENGTH) {
    refuse('picture', `picture must be at most ${MAX_PICTURE_LENGTH} characters long`);
  }
  const url = NOT_IN_URL.test(text) || !URL.canParse(text) ? undefined : new URL(text);
  const allowed = rules.production ? ['https:'] : ['https:', 'http:'];
  if (!url || !allowed.includes(url.protocol)) {
    refuse(
      'picture',
      rules.production
        ? 'picture must be an absolute https URL in production'
        : 'picture must be an absolute https (or, outside production, http) URL',
    );
  }
  if (url!.username !== '' || url!.password !== '') {
    refuse('picture', 'picture must not contain a user name or password');
  }
  return url!.href;
}

function normaliseField(
  field: ProfileField,
  value: string | undefined,
  rules: ProfileRules,
): string | undefined {
  switch (field) {
    case 'name':
    case 'givenName':
    case 'familyName':
      return normaliseName(value, PROFILE_FIELD_NAMES[field]);
    case 'locale':
      return normaliseLocale(value);
    case 'zoneinfo':
      return normaliseZoneinfo(value);
    case 'picture':
      return normalisePicture(value, rules);
  }
}

/** Profile fields as given for a new account, each optional. */
export type ProfileInput = { readonly [F in ProfileField]?: string | undefined };

/** A new account's profile; throws AppError('validation_failed') naming the first bad field. */
export function normaliseProfile(input: ProfileInput, rules: ProfileRules): AccountProfile {
  const entries = FIELDS.map((field) => [field, normaliseField(field, input[field], rules)]);
  return Object.fromEntries(entries) as AccountProfile;
}

/**
 * `current` with `change` applied, and the fields whose stored value it changed (API names, in
 * PROFILE_FIELD_NAMES order): setting a field to what it holds changes nothing.
 */
export function applyProfileChange(
  current: AccountProfile,
  change: ProfileChange,
  rules: ProfileRules,
): { readonly profile: AccountProfile; readonly changed: readonly ProfileFieldName[] } {
  const next: Record<ProfileField, string | undefined> = { ...current };
  for (const field of FIELDS) {
    const value = change[field];
    if (value === undefined) continue;
    next[field] = value === null ? undefined : normaliseField(field, value, rules);
  }
  const changed = FIELDS.filter((field) => next[field] !== current[field]).map(
    (field) => PROFILE_FIELD_NAMES[field],
  );
  return { profile: next, changed };
}

/** The profile fields of an account record (absent from records stored before they existed). */
export const profileOf = (record: ProfileInput) =>
  Object.fromEntries(FIELDS.map((field) => [field, record[field]])) as unknown as AccountProfile;
