import type { DataMigration } from '../storage/data-migrations.ts';
import { PROTECTED_MODELS, protectPayload, type RecordSealer } from './model-record-protection.ts';
import { isStorageKey, storageKeyOf } from './stored-token-keys.ts';

/**
 * Re-keys, once, the bearer artifacts an older Tessera stored under their own value: each
 * record moves to the key and payload model-record-protection.ts gives it, keeping its expiry
 * and consumption, so the tokens, codes and sessions already handed out keep working and the
 * store holds no usable value afterwards. Records already keyed (hex SHA-256: no older id has
 * that shape) are left alone, so a second run — another replica starting at the same time, or
 * a run cut short — changes nothing that is done.
 */
export function protectLegacyRecords(sealer: RecordSealer): DataMigration {
  return {
    name: 'oidc-model-keys-sha256',
    async run(storage) {
      let changed = 0;
      for (const model of PROTECTED_MODELS) {
        changed += await storage.oidcModels.rewriteAll(model, ({ id, payload }) => {
          if (isStorageKey(id)) return undefined;
          return { id: storageKeyOf(id), payload: protectPayload(sealer, model, id, payload) };
        });
      }
      return changed;
    },
  };
}
