import type { Command } from 'commander';
import type { z } from 'zod';

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../admin/common-schemas.ts';
import type { CliContext } from '../cli-context.ts';
import { integerBetween } from '../option-parsers.ts';

type PageSchema<T> = z.ZodType<{ items: T[]; next_cursor: string | null }>;

/** Safety bound for --all: 1000 pages of 100 is more than any admin reads in a terminal. */
const MAX_PAGES = 1000;

export interface PageOptions {
  limit: number;
  cursor?: string;
  all?: boolean;
}

/** --limit, --cursor and --all of every paged list command. */
export function addPageOptions(command: Command): Command {
  return command
    .option(
      '--limit <n>',
      `page size (1-${MAX_PAGE_SIZE})`,
      integerBetween(1, MAX_PAGE_SIZE),
      DEFAULT_PAGE_SIZE,
    )
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow every page');
}

/** One page, or with `all` every page joined (next_cursor then null). */
export async function fetchPages<T>(
  context: CliContext,
  path: string,
  schema: PageSchema<T>,
  options: PageOptions,
  filters: Readonly<Record<string, string | undefined>> = {},
): Promise<{ items: T[]; next_cursor: string | null }> {
  const items: T[] = [];
  let cursor = options.cursor;
  for (let pages = 0; pages < MAX_PAGES; pages += 1) {
    const { body } = await context.api().call('GET', path, {
      query: { ...filters, limit: options.all ? MAX_PAGE_SIZE : options.limit, cursor },
      response: schema,
    });
    items.push(...body.items);
    if (!options.all || body.next_cursor === null) return { items, next_cursor: body.next_cursor };
    cursor = body.next_cursor;
  }
  return { items, next_cursor: cursor ?? null };
}

/** Tells a human reader (on stderr, so stdout stays the table) how to get the next page. */
export function printNextPageHint(
  context: CliContext,
  command: string,
  nextCursor: string | null,
): void {
  if (nextCursor !== null) {
    context.io.stderr.write(`More: tessera ${command} --cursor ${nextCursor}\n`);
  }
}
