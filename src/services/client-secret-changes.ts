import type { NewEvent } from '../events/event-factory.ts';
import type { ClientRecord, ClientSecretRecord } from '../ports/clients.ts';
import { AppError } from './app-error.ts';
import { usesClientSecret } from './client-rules.ts';
import type { ClientSecretHasher } from './client-secrets.ts';
import { generateId } from './ids.ts';

export interface CreatedSecret {
  readonly id: string;
  /** The plaintext secret: returned this once, never stored. */
  readonly secret: string;
  readonly createdAt: number;
  readonly expiresAt: number | undefined;
}

/** Makes client secrets: the stored record (hash only) and what is shown once. */
export function createSecretMaker(hasher: ClientSecretHasher, clock: () => number) {
  return {
    /** A new secret, or the `known` one a moved client keeps (known-client-secrets.ts). */
    newSecret(expiresAt: number | undefined, known?: string): [ClientSecretRecord, CreatedSecret] {
      const secret = known ?? hasher.generate();
      const id = generateId('sec');
      const createdAt = clock();
      return [
        { id, hash: hasher.hash(secret), createdAt, expiresAt },
        { id, secret, createdAt, expiresAt },
      ];
    },

    checkExpiry(expiresAt: number | undefined): void {
      if (expiresAt !== undefined && expiresAt <= clock()) {
        throw new AppError('validation_failed', 'a secret must expire in the future', {
          field: 'expires_at',
        });
      }
    },
  };
}

export interface ClientSecretChangeDeps {
  readonly secrets: ReturnType<typeof createSecretMaker>;
  readonly clock: () => number;
  /** The client, or AppError `not_found`. */
  readonly get: (clientId: string) => Promise<ClientRecord>;
  /** Saves `next` over the version before it with `event`, or AppError `version_mismatch`. */
  readonly saveUpdated: (next: ClientRecord, event: NewEvent) => Promise<ClientRecord>;
}

/**
 * Adding and removing a client's secrets (rotation without downtime: add, deploy, remove; the
 * runbook in docs/operations.md#leaked-client-secret). Each change is a new version of the
 * client with its `tessera.client.secret_rotated` event.
 */
export function createClientSecretChanges(deps: ClientSecretChangeDeps) {
  const { secrets, clock, get, saveUpdated } = deps;
  return {
    async addSecret(clientId: string, expiresAt?: number): Promise<CreatedSecret> {
      const current = await get(clientId);
      if (!usesClientSecret(current.metadata)) {
        throw new AppError(
          'validation_failed',
          `client ${clientId} does not authenticate with a secret`,
        );
      }
      secrets.checkExpiry(expiresAt);
      const [record, created] = secrets.newSecret(expiresAt);
      const next: ClientRecord = {
        ...current,
        secrets: [...current.secrets, record],
        updatedAt: clock(),
        version: current.version + 1,
      };
      await saveUpdated(next, {
        type: 'tessera.client.secret_rotated',
        subject: clientId,
        data: { client_id: clientId, secret_id: record.id, change: 'added' },
      });
      return created;
    },

    async removeSecret(clientId: string, secretId: string): Promise<ClientRecord> {
      const current = await get(clientId);
      if (!current.secrets.some((secret) => secret.id === secretId)) {
        throw new AppError('not_found', `client ${clientId} has no secret ${secretId}`);
      }
      const now = clock();
      const othersLive = current.secrets.some(
        (secret) =>
          secret.id !== secretId && (secret.expiresAt === undefined || secret.expiresAt > now),
      );
      if (!othersLive) {
        throw new AppError(
          'conflict',
          `secret ${secretId} is the client's last valid secret; add another first`,
        );
      }
      const next: ClientRecord = {
        ...current,
        secrets: current.secrets.filter((secret) => secret.id !== secretId),
        updatedAt: clock(),
        version: current.version + 1,
      };
      return saveUpdated(next, {
        type: 'tessera.client.secret_rotated',
        subject: clientId,
        data: { client_id: clientId, secret_id: secretId, change: 'removed' },
      });
    },
  };
}
