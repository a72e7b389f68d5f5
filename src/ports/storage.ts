import type { AccountFactorStore } from './account-factors.ts';
import type { AccountStore } from './accounts.ts';
import type { CatalogGenerationStore } from './catalog-generation.ts';
import type { ClientStore } from './clients.ts';
import type { DataMigrationStore } from './data-migrations.ts';
import type { LeaseStore } from './leases.ts';
import type { LoginThrottleStore } from './login-throttle.ts';
import type { OidcModelStore } from './oidc-models.ts';
import type { OutboxStore } from './outbox.ts';
import type { ResourceServerStore } from './resource-servers.ts';
import type { RevokedJwtStore } from './revoked-jwts.ts';
import type { SigningKeyStore } from './signing-keys.ts';

/** Every port one storage backend provides. Built once by the composition root. */
export interface Storage {
  readonly kind: 'sqlite' | 'mongodb';
  readonly oidcModels: OidcModelStore;
  readonly clients: ClientStore;
  readonly resourceServers: ResourceServerStore;
  /** Moves on every client or resource-server write, whoever makes it. */
  readonly catalogGeneration: CatalogGenerationStore;
  readonly signingKeys: SigningKeyStore;
  readonly outbox: OutboxStore;
  readonly leases: LeaseStore;
  readonly accounts: AccountStore;
  readonly loginThrottle: LoginThrottleStore;
  /** Second factors and passkeys (services/factors/). */
  readonly accountFactors: AccountFactorStore;
  readonly dataMigrations: DataMigrationStore;
  readonly revokedJwts: RevokedJwtStore;
  /** Resolves when the store answers; rejects with the reason otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by adapters when the backing store cannot be reached; maps to 503. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
