import { loadConfig } from '../../src/config/load-config.ts';
import { startTessera, type Tessera } from '../../src/compose.ts';
import { createLogger } from '../../src/logging/create-logger.ts';

/**
 * Prepares a data dir for a Tessera *process*: starts an in-process instance on the same store
 * and secrets (`env` must hold TESSERA_DATA_DIR and the three secrets), runs `seed` with its
 * services (register clients, resource servers…), and stops it. Until the admin CLI exists this
 * is how process-level tests get a client.
 */
export async function seedTessera<T>(
  env: Record<string, string>,
  seed: (tessera: Tessera) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ ...env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1' });
  const tessera = await startTessera(config, { logger: createLogger('silent') });
  try {
    return await seed(tessera);
  } finally {
    await tessera.stop();
  }
}

/** Registers a confidential client-credentials client; returns its id and its one-time secret. */
export async function createServiceClient(
  tessera: Tessera,
  scope: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const { client, secret } = await tessera.clients.create({
    name: 'release test service',
    metadata: {
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope,
    },
  });
  if (!secret) throw new Error('expected a secret for a confidential client');
  return { clientId: client.clientId, clientSecret: secret.secret };
}
