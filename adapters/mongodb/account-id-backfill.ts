import type { AnyBulkWriteOperation, Db } from 'mongodb';

import {
  ACCOUNT_BOUND_MODELS,
  CLIENT_BOUND_MODELS,
  type OidcModelName,
  type OidcPayload,
} from '../../src/ports/oidc-models.ts';
import { oidcModelsOf, type OidcModelDocument } from './collections.ts';

const BATCH = 500;

/**
 * Copies the payload's `accountId` to the top-level lookup field of the Grant and Session
 * documents an older Tessera wrote without it, so OidcModelStore.findByAccountId finds them too
 * (a disabled account must lose every grant and session, not only the recent ones). Returns how
 * many documents it filled in.
 */
export function backfillAccountIds(db: Db): Promise<number> {
  return backfillLookupField(db, ACCOUNT_BOUND_MODELS, 'accountId');
}

/**
 * The same for the `clientId` of client-bound models, so that deleting a client also removes
 * what it was issued before Tessera recorded the field (OidcModelStore.revokeByClientId).
 */
export function backfillClientIds(db: Db): Promise<number> {
  return backfillLookupField(db, CLIENT_BOUND_MODELS, 'clientId');
}

/**
 * Idempotent: it reads only documents lacking the field (through its index on MongoDB) and never
 * overwrites one a newer write has set.
 */
async function backfillLookupField(
  db: Db,
  models: Iterable<OidcModelName>,
  field: 'accountId' | 'clientId',
): Promise<number> {
  let filled = 0;
  for (const model of models) {
    const collection = oidcModelsOf(db, model);
    const cursor = collection.find({ [field]: { $exists: false } }, { projection: { payload: 1 } });
    let batch: AnyBulkWriteOperation<OidcModelDocument>[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const result = await collection.bulkWrite(batch, { ordered: false });
      filled += result.modifiedCount;
      batch = [];
    };
    for await (const document of cursor) {
      const value = (JSON.parse(document.payload) as OidcPayload)[field];
      batch.push({
        updateOne: {
          filter: { _id: document._id, [field]: { $exists: false } },
          update: { $set: { [field]: typeof value === 'string' ? value : null } },
        },
      });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  }
  return filled;
}
