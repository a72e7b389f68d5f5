import { z } from 'zod';

import { AppError } from '../services/app-error.ts';
import { CLIENT_ID_SYNTAX } from '../services/client-ids.ts';
import { named } from './named-schema.ts';

/** The largest page a list operation returns. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** RFC 9457 problem details, as src/http/problem.ts writes them. */
export const problemSchema = named(
  'Problem',
  z
    .object({
      type: z.string().describe('URI naming the problem type (urn:tessera:problem:<code>)'),
      title: z.string(),
      status: z.int(),
      detail: z.string().describe('What went wrong, safe to show the caller'),
      code: z.string().describe("Tessera's error code"),
      field: z.string().optional().describe('The offending input, when there is one'),
    })
    .describe('RFC 9457 problem details'),
);

/**
 * `config_key` of clients and resource servers: the object's key in the clients-as-code file
 * `tessera apply` created it from (docs/clients-as-code.md). `--prune` deletes only objects that
 * carry one, never those made by hand. Same syntax as a client id.
 */
export const configKeyInput = z
  .string()
  .min(1)
  .max(200)
  .regex(CLIENT_ID_SYNTAX, 'must be printable ASCII without leading or trailing spaces')
  .describe(
    'Marks the object as created by `tessera apply` from this key of a clients-as-code file, ' +
      'so `tessera apply --prune` may delete it once the file no longer names it. Fixed once created',
  );

export const configKeyOutput = z
  .string()
  .optional()
  .describe('Set when `tessera apply` created the object: its key in the file. Absent otherwise');

/** RFC 3339 UTC timestamp, as every admin resource renders its times. */
export const timestampSchema = z.iso.datetime();

export const toTimestamp = (epochMs: number): string => new Date(epochMs).toISOString();

export const optionalTimestamp = (epochMs: number | undefined): string | null =>
  epochMs === undefined ? null : toTimestamp(epochMs);

/** `{id}` of the resources whose path names them by `id` (resource servers, users). */
export const idParams = z.object({ id: z.string().min(1).max(200) }).strict();

/** `?limit=&cursor=` of every paged list. */
export const pageQueryShape = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Page size, 1-${MAX_PAGE_SIZE}`),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('`next_cursor` of the previous page; omit for the first page'),
};

/** A page of `item`s with the cursor of the next page (null on the last page). */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    next_cursor: z
      .string()
      .nullable()
      .describe('Pass as `cursor` to get the next page; null when this is the last page'),
  });

/**
 * Cursors are opaque to callers: base64url of the last id on the page. Stores page by id
 * (ClientStore.list `after`), so a cursor stays valid while records are added or removed.
 */
export const encodeCursor = (lastId: string): string => Buffer.from(lastId).toString('base64url');

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!id || encodeCursor(id) !== cursor) {
    throw new AppError('validation_failed', 'cursor is not one this API returned', {
      field: 'cursor',
    });
  }
  return id;
}

/**
 * One page of a list operation, rendered: fetches one record more than asked to learn whether
 * another page follows, without a count.
 */
export async function fetchPage<T, V>(
  query: { readonly limit: number; readonly cursor?: string | undefined },
  list: (page: { after: string | undefined; limit: number }) => Promise<T[]>,
  idOf: (record: T) => string,
  render: (record: T) => V,
): Promise<{ items: V[]; next_cursor: string | null }> {
  const records = await list({ after: decodeCursor(query.cursor), limit: query.limit + 1 });
  if (records.length <= query.limit) return { items: records.map(render), next_cursor: null };
  const page = records.slice(0, query.limit);
  return { items: page.map(render), next_cursor: encodeCursor(idOf(page[page.length - 1]!)) };
}
