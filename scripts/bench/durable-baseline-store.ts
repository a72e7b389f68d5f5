/**
 * The durable baseline's store: bare oidc-provider's adapter interface (oidc-provider
 * example/my_adapter.js) over Tessera's own SQLite oidc-model store (adapters/sqlite/), opened
 * on a file of its own. Values are stored as oidc-provider gives them: no hashing of bearer
 * values, no sealing, no orphan checks, no events — what any durable oidc-provider deployment
 * pays for its store, so Tessera's cost can be compared with it as well as with the in-memory
 * adapter (docs/benchmarks.md "Benchmarks").
 *
 * The store modules are loaded from the production build (dist/, as Tessera runs in the bench)
 * or, with `--source`, from the TypeScript sources.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

import type * as DatabaseModule from '../../adapters/sqlite/database.ts';
import type * as ModelStoreModule from '../../adapters/sqlite/oidc-model-store.ts';
import type { OidcModelName, OidcPayload } from '../../src/ports/oidc-models.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface DurableBaselineStore {
  readonly adapter: AdapterFactory;
  close(): void;
}

async function loadModule<T>(compiled: boolean, name: string): Promise<T> {
  const path = compiled
    ? join(ROOT, 'dist/adapters/sqlite', `${name}.js`)
    : join(ROOT, 'adapters/sqlite', `${name}.ts`);
  return (await import(pathToFileURL(path).href)) as T;
}

/** Opens (and migrates) the SQLite file and gives oidc-provider an adapter over it. */
export async function openDurableBaselineStore(
  file: string,
  compiled: boolean,
): Promise<DurableBaselineStore> {
  const { SqliteDatabase } = await loadModule<typeof DatabaseModule>(compiled, 'database');
  const { createSqliteOidcModelStore } = await loadModule<typeof ModelStoreModule>(
    compiled,
    'oidc-model-store',
  );
  const db = new SqliteDatabase(file);
  const models = createSqliteOidcModelStore(db, Date.now);
  const served = (payload: OidcPayload | undefined) => payload as AdapterPayload | undefined;
  const adapter = (name: string): Adapter => {
    // Static clients never reach the adapter (lib/models/client.js serves them from memory).
    const model = name as OidcModelName;
    return {
      upsert: (id, payload, expiresIn) =>
        models.upsert(model, id, payload as OidcPayload, expiresIn),
      find: async (id) => served(await models.find(model, id)),
      findByUid: async (uid) => served(await models.findByUid(model, uid)),
      findByUserCode: async (userCode) => served(await models.findByUserCode(model, userCode)),
      // As the memory adapter: oidc-provider checks `consumed` itself before calling this.
      consume: async (id) => void (await models.consume(model, id)),
      destroy: async (id) => void (await models.destroy(model, id)),
      revokeByGrantId: async (grantId) => void (await models.revokeByGrantId(model, grantId)),
    };
  };
  return { adapter, close: () => db.close() };
}
