import { randomUUID } from 'node:crypto';

import type { CatalogGenerationStore } from '../../src/ports/catalog-generation.ts';
import { catalogGenerationOf, type MongoHandle } from './collections.ts';
import { retryLostUpsertRace } from './store-errors.ts';

const CATALOG_ID = 'catalog';

/**
 * Moves the catalog generation: called by the client and resource-server stores after a write
 * applied (so a replica that sees the new stamp and re-reads finds the new record), outside any
 * transaction (a document every catalog write touches would make concurrent transactions
 * conflict, as the outbox counter would, see outbox-store.ts).
 *
 * A random stamp rather than `$inc`: where updates are not atomic (document-locks.ts) an update
 * is read, modify, write back, so two concurrent increments could both write the same number, and
 * a late one could even move it back to a value a replica has already seen. A fresh random stamp
 * per write is never one seen before, whatever the interleaving, and one `$set` by `_id` is all
 * it costs.
 */
export async function bumpCatalogGeneration(ctx: MongoHandle): Promise<void> {
  await retryLostUpsertRace(() =>
    catalogGenerationOf(ctx.db).updateOne(
      { _id: CATALOG_ID },
      { $set: { stamp: randomUUID(), changedAt: new Date(ctx.clock()) } },
      { upsert: true },
    ),
  );
}

/**
 * Returns `applied` once the generation has moved for an applied write. If the store fails
 * between the write and the move, the error propagates like any other mid-write failure (the
 * write's outcome is reported unknown: 503); other replicas then see the change within
 * TESSERA_CLIENT_CACHE_TTL, the bound without push.
 */
export async function announceCatalogChange(ctx: MongoHandle, applied: boolean): Promise<boolean> {
  if (applied) await bumpCatalogGeneration(ctx);
  return applied;
}

export function createMongoCatalogGenerationStore(ctx: MongoHandle): CatalogGenerationStore {
  return {
    async read() {
      const document = await catalogGenerationOf(ctx.db).findOne(
        { _id: CATALOG_ID },
        { projection: { stamp: 1 } },
      );
      // No document yet: nothing was ever written through a Tessera that keeps the generation.
      return document?.stamp ?? '';
    },
  };
}
