import type { Command } from 'commander';

/** Each profile field: its option (`--given-name`), its API field and what it is. */
const PROFILE_OPTIONS = [
  { flag: 'name', key: 'name', field: 'name', description: 'display name' },
  { flag: 'given-name', key: 'givenName', field: 'given_name', description: 'given name(s)' },
  { flag: 'family-name', key: 'familyName', field: 'family_name', description: 'surname(s)' },
  {
    flag: 'locale',
    key: 'locale',
    field: 'locale',
    description: 'BCP 47 language tag, e.g. en-US',
  },
  {
    flag: 'zoneinfo',
    key: 'zoneinfo',
    field: 'zoneinfo',
    description: 'IANA time zone, e.g. Europe/Paris',
  },
  {
    flag: 'picture',
    key: 'picture',
    field: 'picture',
    description: 'https URL of a picture',
  },
] as const;

type ProfileKey = (typeof PROFILE_OPTIONS)[number]['key'];

/**
 * commander's values: a string for `--given-name <value>`, false for `--no-given-name` (update
 * only), absent otherwise.
 */
export type ProfileOptions = { [K in ProfileKey]?: string | false };

/** `--name <value>`, `--given-name <value>`, … on `command`; with `removable`, also `--no-…`. */
export function addProfileOptions(command: Command, removable: boolean): Command {
  for (const { flag, description } of PROFILE_OPTIONS) {
    command.option(`--${flag} <value>`, description);
    if (removable) command.option(`--no-${flag}`, `remove the ${description.split(',')[0]}`);
  }
  return command;
}

/**
 * The profile fields of the options, as the admin API takes them: a value, or null to remove
 * (a JSON merge patch, RFC 7396). Of `--x <value>` and `--no-x`, the last given wins, as
 * commander reads them.
 */
export function profileFieldsFrom(options: ProfileOptions): Record<string, string | null> {
  const fields: Record<string, string | null> = {};
  for (const { key, field } of PROFILE_OPTIONS) {
    const value = options[key];
    if (value !== undefined) fields[field] = value === false ? null : value;
  }
  return fields;
}
