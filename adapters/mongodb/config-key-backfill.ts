import type { Db } from 'mongodb';

import { COLLECTIONS } from './collections.ts';

/** A client or resource-server document as the backfill reads it. */
interface KeyedDocument {
  _id: string;
  version: number;
  configKey?: string;
  record: string;
}

interface StoredRecord {
  readonly configKey?: string;
  readonly createdAt?: number;
  readonly version?: number;
}

const olderFirst = (a: [KeyedDocument, StoredRecord], b: [KeyedDocument, StoredRecord]) =>
  (a[1].createdAt ?? 0) - (b[1].createdAt ?? 0) || (a[0]._id < b[0]._id ? -1 : 1);

/**
 * Copies each record's configKey (kept in the record's JSON) to the document's top-level
 * `configKey`, which the sparse unique index of the next step covers. A key recorded on several
 * records before the index existed stays on the oldest; the later ones are detached (the key
 * leaves their record, their version moves), as adapters/sqlite/migrations.ts does it: they are
 * kept, no longer managed by `tessera apply`. Each write is conditional on the version read, so
 * a concurrent update wins and the next run looks again. Returns how many documents changed.
 * Scans the collection: clients and resource servers are the few records an admin creates.
 */
export async function backfillConfigKeys(db: Db, collection: string): Promise<number> {
  const documents = db.collection<KeyedDocument>(collection);
  const byKey = new Map<string, [KeyedDocument, StoredRecord][]>();
  for await (const document of documents.find(
    {},
    { projection: { version: 1, configKey: 1, record: 1 } },
  )) {
    const record = JSON.parse(document.record) as StoredRecord;
    if (record.configKey === undefined) continue;
    const holders = byKey.get(record.configKey) ?? [];
    holders.push([document, record]);
    byKey.set(record.configKey, holders);
  }
  let changed = 0;
  for (const [configKey, holders] of byKey) {
    const [first, ...later] = holders.sort(olderFirst);
    const keeper = first?.[0];
    if (keeper && keeper.configKey !== configKey) {
      const result = await documents.updateOne(
        { _id: keeper._id, version: keeper.version },
        { $set: { configKey } },
      );
      changed += result.modifiedCount;
    }
    for (const [document, record] of later) {
      const version = document.version + 1;
      const detached: Record<string, unknown> = { ...record, version };
      delete detached['configKey'];
      const result = await documents.updateOne(
        { _id: document._id, version: document.version },
        {
          $set: { version, record: JSON.stringify(detached) },
          $unset: { configKey: '' },
        },
      );
      changed += result.modifiedCount;
    }
  }
  return changed;
}

/** The collections whose records carry a configKey. */
export const CONFIG_KEYED_COLLECTIONS = [COLLECTIONS.clients, COLLECTIONS.resourceServers];
