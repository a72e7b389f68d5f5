import { describeLeaseStoreContract } from './lease-store.contract.ts';
import { describeAccountFactorStoreContract } from './account-factor-store.contract.ts';
import { describeAccountSignInGuessContract } from './account-sign-in-guess.contract.ts';
import { describeAccountStoreContract } from './account-store.contract.ts';
import { describeAccountUsernameKeysContract } from './account-username-keys.contract.ts';
import { describeCatalogGenerationStoreContract } from './catalog-generation-store.contract.ts';
import { describeClientDeletionContract } from './client-deletion.contract.ts';
import { describeDataMigrationStoreContract } from './data-migration-store.contract.ts';
import { describeLoginThrottleStoreContract } from './login-throttle-store.contract.ts';
import { describeOidcModelStoreContract } from './oidc-model-store.contract.ts';
import { describeOutboxStoreContract } from './outbox-store.contract.ts';
import {
  describeClientStoreContract,
  describeResourceServerStoreContract,
} from './record-stores.contract.ts';
import { describeRevokedJwtStoreContract } from './revoked-jwt-store.contract.ts';
import { describeSigningKeyStoreContract } from './signing-key-store.contract.ts';
import type { OpenTestStorage } from './storage-fixture.ts';

/**
 * Every storage port's contract, for one adapter. A new adapter is done when this passes
 * (one contract suite run against every backend).
 */
export function describeStorageContract(adapter: string, open: OpenTestStorage): void {
  describeOidcModelStoreContract(adapter, open);
  describeClientStoreContract(adapter, open);
  describeClientDeletionContract(adapter, open);
  describeResourceServerStoreContract(adapter, open);
  describeCatalogGenerationStoreContract(adapter, open);
  describeSigningKeyStoreContract(adapter, open);
  describeOutboxStoreContract(adapter, open);
  describeLeaseStoreContract(adapter, open);
  describeAccountStoreContract(adapter, open);
  describeAccountSignInGuessContract(adapter, open);
  describeAccountUsernameKeysContract(adapter, open);
  describeLoginThrottleStoreContract(adapter, open);
  describeDataMigrationStoreContract(adapter, open);
  describeRevokedJwtStoreContract(adapter, open);
  describeAccountFactorStoreContract(adapter, open);
}
