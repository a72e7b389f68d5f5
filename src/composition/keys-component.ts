import type { Logger } from 'pino';

import { createKeyEncrypter, type KeyEncrypter } from '../../keys/key-encryption.ts';
import {
  createKeyLifecycleWriter,
  type KeyLifecycleWriter,
} from '../../keys/key-lifecycle-writer.ts';
import {
  createKeyReconciler,
  ensureSigningKeyRing,
  type KeyReconciler,
} from '../../keys/key-reconciler.ts';
import { createKeySchedule, type KeySchedule } from '../../keys/key-schedule.ts';
import { createRotationScheduler, type RotationScheduler } from '../../keys/rotation-scheduler.ts';
import { createSigningKeyAdmin, type SigningKeyAdmin } from '../services/signing-key-admin.ts';
import type { SigningKeyRing } from '../../keys/signing-key-ring.ts';
import type { Config } from '../config/config.ts';
import type { Services } from '../compose-services.ts';
import type { EventFactory } from '../events/event-factory.ts';
import { deferStop } from '../lifecycle/deferred-stop.ts';
import type { StartedComponent } from '../lifecycle/startup.ts';
import type { KeyMetrics } from '../metrics/create-metrics.ts';
import type { Storage } from '../ports/storage.ts';
import { RESOURCE_SERVER_MAX_TTL } from '../services/resource-server-service.ts';

/** Far longer than one lifecycle action (a key generation and one write) takes. */
const KEY_LEASE_TTL_MS = 30_000;
/** How long a replica starting on an empty store waits for another one creating the keys. */
const KEY_STARTUP_WAIT_MS = 30_000;

export interface KeyLifecycleDeps {
  readonly storage: Pick<Storage, 'signingKeys' | 'leases'>;
  /** TESSERA_KEY_ENCRYPTION_KEY: seals the private keys at rest (keys/key-encryption.ts). */
  readonly keyEncryptionKey: Buffer;
  readonly newEvent: EventFactory;
  readonly schedule: KeySchedule;
  readonly clock: () => number;
  readonly logger: Logger;
  /** This lease holder: one per process, so a crashed process's leases lapse. */
  readonly holderId: string;
  readonly leaseTtlMs: number;
}

/** One replica's view of the key lifecycle: what reads, decrypts and changes the stored keys. */
export interface KeyLifecycle {
  readonly encrypter: KeyEncrypter;
  readonly writer: KeyLifecycleWriter;
  readonly reconciler: KeyReconciler;
}

/** The key-lifecycle wiring, shared by the server and the tests that play several replicas. */
export function buildKeyLifecycle(deps: KeyLifecycleDeps): KeyLifecycle {
  const { storage, clock } = deps;
  const encrypter = createKeyEncrypter(deps.keyEncryptionKey);
  const writer = createKeyLifecycleWriter({
    keys: storage.signingKeys,
    encrypter,
    newEvent: deps.newEvent,
    clock,
  });
  const reconciler = createKeyReconciler({
    keys: storage.signingKeys,
    leases: storage.leases,
    writer,
    encrypter,
    schedule: deps.schedule,
    clock,
    logger: deps.logger,
    holderId: deps.holderId,
    leaseTtlMs: deps.leaseTtlMs,
  });
  return { encrypter, writer, reconciler };
}

/** The stored keys brought into shape at startup, and what keeps them so. */
export interface SigningKeysAtStartup {
  readonly lifecycle: KeyLifecycle;
  readonly schedule: KeySchedule;
  /** The ring the first provider instance is built with. */
  readonly keyRing: SigningKeyRing;
}

export type SigningKeysDeps = Omit<
  KeyLifecycleDeps,
  'keyEncryptionKey' | 'schedule' | 'leaseTtlMs'
>;

/**
 * Brings the stored keys into shape (creating them on an empty store) and decrypts them. Throws
 * KeyDecryptionError, having written nothing, when the configured key-encryption key cannot
 * read them.
 */
export async function loadSigningKeys(
  config: Config,
  deps: SigningKeysDeps,
): Promise<SigningKeysAtStartup> {
  const schedule = createKeySchedule(config.keys, {
    ...config.tokens,
    resourceServerMaxTtl: RESOURCE_SERVER_MAX_TTL,
  });
  const lifecycle = buildKeyLifecycle({
    ...deps,
    keyEncryptionKey: config.secrets.keyEncryptionKey,
    schedule,
    leaseTtlMs: KEY_LEASE_TTL_MS,
  });
  const keyRing = await ensureSigningKeyRing(lifecycle.reconciler, {
    timeoutMs: KEY_STARTUP_WAIT_MS,
    retryMs: 200,
  });
  return { lifecycle, schedule, keyRing };
}

export interface KeysComponentDeps {
  readonly signingKeys: SigningKeysAtStartup;
  readonly services: Pick<Services, 'holder' | 'buildInstance'>;
  readonly storage: Pick<Storage, 'signingKeys' | 'leases'>;
  readonly metrics: KeyMetrics;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly holderId: string;
}

/** The key rotation of this replica, and the operator's actions on the keys. */
export interface KeysComponent extends StartedComponent {
  readonly rotation: RotationScheduler;
  readonly admin: SigningKeyAdmin;
  start(): void;
  /** No new lifecycle passes from now; one in progress goes on. */
  beginStop(): void;
  /** Resolves once a pass in progress has finished. */
  stop(): Promise<void>;
}

export function buildKeysComponent(config: Config, deps: KeysComponentDeps): KeysComponent {
  const { signingKeys, storage, clock } = deps;
  const { holder, buildInstance } = deps.services;
  deps.metrics.trackKeys(() => holder.current().keyRing.records);
  const rotation = createRotationScheduler({
    reconciler: signingKeys.lifecycle.reconciler,
    logger: deps.logger,
    clock,
    pollIntervalMs: config.keys.pollInterval * 1000,
    servedFingerprint: () => holder.current().keyRing.fingerprint,
    // In-flight requests keep the instance they captured (create-app.ts); oidc-provider
    // instances own no timers or global listeners, so the old one is collected after them.
    serve: (ring) => holder.replace(buildInstance(ring)),
  });
  const admin = createSigningKeyAdmin({
    keys: storage.signingKeys,
    leases: storage.leases,
    writer: signingKeys.lifecycle.writer,
    schedule: signingKeys.schedule,
    clock,
    // Its own holder id: the admin and this replica's scheduler must exclude each other too.
    holderId: `${deps.holderId}/admin`,
    leaseTtlMs: KEY_LEASE_TTL_MS,
    onKeysChanged: () => rotation.refresh(),
  });
  const stopping = deferStop(() => rotation.stop());
  return {
    name: 'key rotation',
    rotation,
    admin,
    start: () => rotation.start(),
    beginStop: () => stopping.begin(),
    stop: () => stopping.finish(),
    abort: () => stopping.finish(),
  };
}
