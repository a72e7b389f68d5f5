import type {
  OidcModelName,
  OidcModelStore,
  OidcPayload,
  RemovalOptions,
} from '../ports/oidc-models.ts';
import type { Storage } from '../ports/storage.ts';
import {
  PROTECTED_MODELS,
  protectPayload,
  revealPayload,
  type RecordSealer,
} from './model-record-protection.ts';
import { storageKeyOf } from './stored-token-keys.ts';

/**
 * The OidcModelStore every part of Tessera uses: bearer artifacts go to the store only as
 * model-record-protection.ts describes (hashed keys, sealed copies), and come back as
 * oidc-provider stored them. Lookups hash the presented value, so a value read from the store is
 * not found by presenting it. Grants and replay-detection records pass through unchanged.
 */
export function createProtectedModelStore(
  inner: OidcModelStore,
  sealer: RecordSealer,
): OidcModelStore {
  const keyOf = (model: OidcModelName, id: string) =>
    PROTECTED_MODELS.has(model) ? storageKeyOf(id) : id;
  const reveal = (model: OidcModelName, stored: OidcPayload | undefined, id?: string) =>
    stored && PROTECTED_MODELS.has(model) ? revealPayload(sealer, model, stored, id) : stored;
  const revealAll = (model: OidcModelName, stored: readonly OidcPayload[]) =>
    stored.map((payload) => reveal(model, payload) as OidcPayload);
  /** Removal events see what was removed as it is kept: a token by its hash (removal-events.ts). */
  const removalOptions = (model: OidcModelName, options: RemovalOptions | undefined) => {
    const eventsFor = options?.eventsFor;
    if (!eventsFor || !PROTECTED_MODELS.has(model)) return options;
    return {
      ...options,
      eventsFor: (removed: readonly OidcPayload[]) => eventsFor(revealAll(model, removed)),
    };
  };

  return {
    upsert(model, id, payload, expiresInSeconds) {
      if (!PROTECTED_MODELS.has(model)) return inner.upsert(model, id, payload, expiresInSeconds);
      return inner.upsert(
        model,
        storageKeyOf(id),
        protectPayload(sealer, model, id, payload),
        expiresInSeconds,
      );
    },
    insertIfAbsent(model, id, payload, expiresInSeconds) {
      if (!PROTECTED_MODELS.has(model)) {
        return inner.insertIfAbsent(model, id, payload, expiresInSeconds);
      }
      return inner.insertIfAbsent(
        model,
        storageKeyOf(id),
        protectPayload(sealer, model, id, payload),
        expiresInSeconds,
      );
    },
    async find(model, id) {
      return reveal(model, await inner.find(model, keyOf(model, id)), id);
    },
    async findByUid(model, uid) {
      return reveal(model, await inner.findByUid(model, uid));
    },
    async findByUserCode(model, userCode) {
      return reveal(model, await inner.findByUserCode(model, keyOf(model, userCode)));
    },
    async findByAccountId(model, accountId) {
      return revealAll(model, await inner.findByAccountId(model, accountId));
    },
    consume(model, id, options) {
      return inner.consume(model, keyOf(model, id), options);
    },
    async destroy(model, id, options) {
      const removed = await inner.destroy(model, keyOf(model, id), removalOptions(model, options));
      return reveal(model, removed, id);
    },
    async revokeByGrantId(model, grantId, options) {
      return revealAll(
        model,
        await inner.revokeByGrantId(model, grantId, removalOptions(model, options)),
      );
    },
    async findByClientId(model, clientId) {
      return revealAll(model, await inner.findByClientId(model, clientId));
    },
    async revokeByClientId(model, clientId, options) {
      return revealAll(
        model,
        await inner.revokeByClientId(model, clientId, removalOptions(model, options)),
      );
    },
    pruneExpired: () => inner.pruneExpired(),
    // Data migrations work on records as they are stored (legacy-record-protection.ts).
    rewriteAll: (model, rewrite) => inner.rewriteAll(model, rewrite),
  };
}

/** `storage` with its oidcModels port replaced by the protected one; every other port as it is. */
export function withProtectedModels<S extends Storage>(storage: S, sealer: RecordSealer): S {
  const oidcModels = createProtectedModelStore(storage.oidcModels, sealer);
  return new Proxy(storage, {
    get: (target, property, receiver) =>
      property === 'oidcModels' ? oidcModels : Reflect.get(target, property, receiver),
  });
}
