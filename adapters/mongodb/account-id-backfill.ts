import type { AnyBulkWriteOperation, Db } from 'mongodb';

import { ACCOUNT_BOUND_MODELS, type OidcPayload } from '../../src/ports/oidc-models.ts';
import { oidcModelsOf, type OidcModelDocument } from './collections.ts';

const BATCH = 500;

/**
 * Copies the payload's `accountId` to the top-level lookup field of the Grant and Session
 * documents an older Tessera wrote without it, so OidcModelStore.findByAccountId finds them too
 * (a disabled account must lose every grant and session, not only the recent ones). Idempotent:
 * it reads only documents lacking the field (through the accountId index on MongoDB) and never
 * overwrites one a newer write has set. Returns how many documents it filled in.
 */
export async function backfillAccountIds(db: Db): Promise<number> {
  let filled = 0;
  for (const model of ACCOUNT_BOUND_MODELS) {
    const collection = oidcModelsOf(db, model);
    const cursor = collection.find(
      { accountId: { $exists: false } },
      { projection: { payload: 1 } },
    );
    let batch: AnyBulkWriteOperation<OidcModelDocument>[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const result = await collection.bulkWrite(batch, { ordered: false });
      filled += result.modifiedCount;
      batch = [];
    };
    for await (const document of cursor) {
      const { accountId } = JSON.parse(document.payload) as OidcPayload;
      batch.push({
        updateOne: {
          filter: { _id: document._id, accountId: { $exists: false } },
          update: { $set: { accountId: typeof accountId === 'string' ? accountId : null } },
        },
      });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  }
  return filled;
}
