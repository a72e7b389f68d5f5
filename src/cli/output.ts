import type { CliIo } from './cli-io.ts';

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
}

/** Machine-readable output: the API's JSON, pretty-printed, one document per run. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table; an empty list says so instead of printing bare headers. */
export function printTable<T>(
  io: CliIo,
  rows: readonly T[],
  columns: readonly Column<T>[],
  empty: string,
): void {
  if (rows.length === 0) {
    io.stdout.write(`${empty}\n`);
    return;
  }
  const cells = rows.map((row) => columns.map((column) => clean(column.value(row))));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((line) => line[index]!.length)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${render(columns.map((column) => column.header))}\n`);
  for (const line of cells) io.stdout.write(`${render(line)}\n`);
}

/** `label  value` lines for one record. */
export function printFields(io: CliIo, fields: readonly (readonly [string, string])[]): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  for (const [label, value] of fields) {
    io.stdout.write(`${label.padEnd(width)}  ${clean(value)}\n`);
  }
}

/** Said on stderr whenever a secret is printed: it is the only time anyone sees it. */
export function warnSecretShownOnce(io: CliIo, what: string): void {
  io.stderr.write(
    `\nStore the ${what} now: Tessera keeps only a hash of it and will not show it again.\n`,
  );
}

export const orDash = (value: string | null | undefined): string =>
  value === undefined || value === null || value === '' ? '-' : value;

export const joinList = (values: readonly string[] | undefined): string =>
  values && values.length > 0 ? values.join(',') : '-';

// Values come from the server; never let them move the cursor or ring the terminal.
// eslint-disable-next-line no-control-regex
const clean = (value: string): string => value.replace(/[\u0000-\u001f\u007f]/g, '?');
