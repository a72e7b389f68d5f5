import type { z } from 'zod';

import { clientPageSchema, type clientSchema } from '../../admin/client-schemas.ts';
import { MAX_PAGE_SIZE } from '../../admin/common-schemas.ts';
import {
  resourceServerPageSchema,
  type resourceServerSchema,
} from '../../admin/resource-server-routes.ts';
import type { AdminHttpClient } from '../admin-http-client.ts';

export type CurrentClient = z.output<typeof clientSchema.schema>;
export type CurrentResourceServer = z.output<typeof resourceServerSchema.schema>;

/** What Tessera holds now: every client and resource server, as the admin API shows them. */
export interface CurrentState {
  readonly clients: readonly CurrentClient[];
  readonly resourceServers: readonly CurrentResourceServer[];
}

/** Reads every page of both lists (the versions read are what `apply` sends in If-Match). */
export async function fetchCurrentState(api: AdminHttpClient): Promise<CurrentState> {
  const readAll = async <T>(
    path: string,
    schema: z.ZodType<{ items: T[]; next_cursor: string | null }>,
  ): Promise<T[]> => {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const { body } = await api.call('GET', path, {
        query: { limit: MAX_PAGE_SIZE, cursor },
        response: schema,
      });
      items.push(...body.items);
      cursor = body.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return items;
  };
  return {
    clients: await readAll('/clients', clientPageSchema.schema),
    resourceServers: await readAll('/resource-servers', resourceServerPageSchema.schema),
  };
}
