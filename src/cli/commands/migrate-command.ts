import type { Command } from 'commander';

import { action } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { printJson } from '../output.ts';
import { withStore } from '../store-session.ts';

/**
 * `tessera migrate`: brings the store's schema and indexes up to date. Opening the SQLite store
 * applies its pending migrations (adapters/sqlite/migrations.ts), so that is all this does there.
 */
export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description("create or upgrade the store's schema and indexes (safe to repeat)")
    .addHelpText(
      'after',
      `
Run it with the server's environment before starting a new version.

Examples:
  $ tessera migrate
  $ TESSERA_DATA_DIR=/var/lib/tessera tessera migrate --json`,
    )
    .action(
      action(io, async (context) => {
        await withStore(io, async (config, storage) => {
          const location =
            config.storage.kind === 'sqlite' ? config.storage.path : config.storage.dbName;
          if (context.json) printJson(io, { storage: storage.kind, location, migrated: true });
          else io.stdout.write(`The ${storage.kind} store at ${location} is up to date.\n`);
        });
      }),
    );
}
