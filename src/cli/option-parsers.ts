import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90d`, `12h`, `30m`, `45s` or plain seconds → seconds; a usage error otherwise. */
export function parseDuration(value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * UNITS[match[2] || 's']! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new InvalidArgumentError('expected a duration such as 90d, 12h, 30m or 3600 (seconds)');
  }
  return seconds;
}

/** An integer within bounds, for --limit and --ttl. */
export function integerBetween(min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return number;
  };
}

/** Repeatable options (`--grant-type a --grant-type b`) collect into a list. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** `"a b"` → `['a', 'b']`. */
export const splitScopes = (value: string): string[] => value.split(/\s+/).filter(Boolean);
