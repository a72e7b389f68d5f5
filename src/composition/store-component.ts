import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import type { StoreMetrics } from '../metrics/create-metrics.ts';
import { instrumentStorage } from '../metrics/instrument-storage.ts';
import type { StartedComponent } from '../lifecycle/startup.ts';
import type { Storage } from '../ports/storage.ts';
import { createRecordSealer } from '../provider/model-record-protection.ts';
import { withProtectedModels } from '../provider/protected-model-store.ts';
import { openStorage } from '../storage/open-storage.ts';

export interface StoreComponentDeps {
  readonly logger: Logger;
  readonly clock: () => number;
  readonly metrics: StoreMetrics;
  /** A store the caller opened (tests pass other adapters); the configured one otherwise. */
  readonly storage?: Storage | undefined;
}

/** The store every other component reads and writes; it closes last. */
export interface StoreComponent extends StartedComponent {
  readonly storage: Storage;
  stop(): Promise<void>;
}

export async function openStoreComponent(
  config: Config,
  deps: StoreComponentDeps,
): Promise<StoreComponent> {
  const { logger, clock } = deps;
  const raw = deps.storage ?? (await openStorage(config, { logger, clock }));
  // Bearer artifacts are kept only hashed or sealed (provider/model-record-protection.ts).
  const sealer = createRecordSealer(config.secrets.keyEncryptionKey);
  const storage = instrumentStorage(withProtectedModels(raw, sealer), deps.metrics);
  return {
    name: 'store',
    storage,
    stop: () => storage.close(),
    // When startup fails, a store the caller passed in stays open: it is the caller's.
    abort: () => (deps.storage ? undefined : storage.close()),
  };
}
