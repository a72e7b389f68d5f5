import type { StoredOutboxEvent } from '../../src/ports/outbox.ts';
import type { TestTessera } from './test-tessera.ts';

/** The sequence of the newest recorded event (0 when there is none): a mark for eventsSince. */
export const lastEventSequence = async (t: TestTessera): Promise<number> =>
  (await t.tessera.storage.outbox.listRecent({ limit: 1 }))[0]?.sequence ?? 0;

/** Events recorded after `before` (of one type, if given), oldest first; at most 500. */
export async function eventsSince(
  t: TestTessera,
  before: number,
  type?: string,
): Promise<StoredOutboxEvent[]> {
  const recent = await t.tessera.storage.outbox.listRecent({
    limit: 500,
    ...(type === undefined ? {} : { type }),
  });
  return recent.filter((event) => event.sequence > before).reverse();
}
