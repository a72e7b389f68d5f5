import type { Command } from 'commander';

import type { ClientRecord } from '../../ports/clients.ts';
import { ADMIN_SCOPE, splitScope } from '../../provider/scopes.ts';
import type { ClientService } from '../../services/client-service.ts';
import { action, type CliContext } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { printFields, printJson, warnSecretShownOnce } from '../output.ts';
import { cliLogger, readKeyRing, withStore } from '../store-session.ts';

const isAdminClient = (client: ClientRecord): boolean =>
  splitScope(client.metadata.scope).includes(ADMIN_SCOPE) &&
  ((client.metadata.grant_types as string[] | undefined) ?? []).includes('client_credentials');

async function findAdminClient(clients: ClientService): Promise<ClientRecord | undefined> {
  let after: string | undefined;
  for (;;) {
    const page = await clients.list({ after, limit: 100 });
    const found = page.find(isAdminClient);
    if (found || page.length < 100) return found;
    after = page[page.length - 1]!.clientId;
  }
}

async function initialise(context: CliContext, options: { force?: boolean; name: string }) {
  await withStore(context.io, async (config, storage) => {
    const { composeServices } = await import('../../compose-services.ts');
    const { createEventFactoryFor } = await import('../../events/event-factory.ts');
    const { createMetrics } = await import('../../metrics/create-metrics.ts');
    const { createArgon2Pool } = await import('../../services/passwords/argon2-pool.ts');
    // init hashes no password, so its pool has no worker threads: none starts, none can keep
    // this process alive, and a derivation would be refused at once.
    const argon2Pool = createArgon2Pool({ workers: 0, maxQueued: 0 });
    try {
      const issuer = config.http.issuer ?? `http://localhost:${config.http.port}`;
      const logger = cliLogger();
      const { clients } = composeServices(config, {
        storage,
        // Only client-metadata validation runs here, which needs no signing key: the stored keys
        // are read (never created or rotated), so a wrong TESSERA_KEY_ENCRYPTION_KEY still shows.
        keyRing: await readKeyRing(config, storage),
        // The CLI prints its own messages; only real trouble from the services reaches stderr.
        logger,
        clock: Date.now,
        issuer,
        argon2Pool,
        // Nothing scrapes this process: the metrics only satisfy the services' wiring.
        metrics: createMetrics(),
        newEvent: createEventFactoryFor({
          production: config.production,
          source: issuer,
          clock: Date.now,
          logger,
        }),
      });
      await createAdminClient(context, options, clients);
    } finally {
      await argon2Pool.close();
    }
  });
}

/** Creates the admin client unless one exists (or --force), and prints it once. */
async function createAdminClient(
  context: CliContext,
  options: { force?: boolean; name: string },
  clients: ClientService,
): Promise<void> {
  const { io } = context;
  const existing = await findAdminClient(clients);
  if (existing && !options.force) {
    if (context.json) printJson(io, { created: false, client_id: existing.clientId });
    else {
      io.stdout.write(
        `An admin client exists already (${existing.clientId}); nothing was created.\n` +
          'Run `tessera init --force` to create another one (e.g. when its secret is lost).\n',
      );
    }
    return;
  }

  // Through ClientService: the same validation and the same tessera.client.created event as
  // any client the admin API registers.
  const { client, secret } = await clients.create({
    name: options.name,
    metadata: {
      grant_types: ['client_credentials'],
      scope: ADMIN_SCOPE,
      token_endpoint_auth_method: 'client_secret_basic',
    },
  });
  if (!secret) throw new Error('an admin client is confidential and must get a secret');
  if (context.json) {
    printJson(io, {
      created: true,
      client_id: client.clientId,
      client_secret: secret.secret,
      name: client.name,
    });
  } else {
    io.stdout.write(`Created admin client "${client.name}".\n\n`);
    printFields(io, [
      ['client_id', client.clientId],
      ['client_secret', secret.secret],
    ]);
    io.stdout.write(
      `\nUse it with:\n  export TESSERA_CLIENT_ID=${client.clientId}\n  export TESSERA_CLIENT_SECRET='<the client_secret above>'\n`,
    );
  }
  warnSecretShownOnce(io, 'client secret');
}

/** `tessera init`: bootstraps the first admin client directly in the store. */
export function registerInitCommand(program: Command, io: CliIo): void {
  program
    .command('init')
    .description(
      "create the first admin client directly in the store; run it with the server's environment",
    )
    .option('--force', 'create another admin client even if one exists')
    .option('--name <name>', 'display name of the admin client', 'tessera admin')
    .addHelpText(
      'after',
      `
Works while the server runs. It reads the same variables as the server (TESSERA_DATA_DIR,
MONGODB_URI, TESSERA_SECRET_PEPPER, TESSERA_KEY_ENCRYPTION_KEY, ...): with a different pepper
the printed secret would not work against that server.

Examples:
  $ tessera init
  $ TESSERA_DATA_DIR=/var/lib/tessera tessera init --json
  $ tessera init --force --name "second admin"`,
    )
    .action(action(io, initialise));
}
