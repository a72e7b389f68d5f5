import type { Command } from 'commander';

import { CliError } from '../cli-error.ts';
import { action } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { printJson } from '../output.ts';
import { loadCliConfig } from '../store-session.ts';

/**
 * `tessera migrate`: brings the store's schema and indexes up to date through
 * migrateStorage() — SQLite applies its pending migrations, MongoDB creates missing indexes —
 * then runs the pending one-time data migrations (such as re-keying tokens an older Tessera
 * stored in the clear). Idempotent and safe while Tessera serves.
 */
export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description("create or upgrade the store's schema and indexes (safe to repeat)")
    .addHelpText(
      'after',
      `
Run it with the server's environment (TESSERA_DATA_DIR, or MONGODB_URI and MONGODB_DB) before
starting a new version, or when TESSERA_MONGODB_ENSURE_INDEXES=false keeps the server from
creating indexes itself.

Examples:
  $ tessera migrate
  $ MONGODB_URI=mongodb://db.internal:27017 tessera migrate --json`,
    )
    .action(
      action(io, async (context) => {
        const config = loadCliConfig(io);
        const { migrateStorage } = await import('../../storage/migrate-storage.ts');
        let report: Awaited<ReturnType<typeof migrateStorage>>;
        try {
          report = await migrateStorage(config);
        } catch (error) {
          throw new CliError(`cannot migrate the store: ${(error as Error).message}`);
        }
        const dataMigrations = report.dataMigrations.map((step) => ({
          name: step.name,
          changed: step.changed,
        }));
        const dataSentence = report.dataMigrations
          .map((step) => ` Data migration ${step.name}: ${step.changed} record(s) changed.`)
          .join('');
        if (report.kind === 'sqlite') {
          if (context.json) {
            printJson(io, {
              storage: 'sqlite',
              location: report.path,
              migrated: true,
              data_migrations: dataMigrations,
            });
          } else
            io.stdout.write(`The sqlite store at ${report.path} is up to date.${dataSentence}\n`);
          return;
        }
        if (context.json) {
          printJson(io, {
            storage: 'mongodb',
            location: report.database,
            migrated: true,
            created_indexes: report.created,
            existing_indexes: report.existing,
            ttl_indexes: !report.ttlUnsupported,
            data_migrations: dataMigrations,
          });
        } else {
          io.stdout.write(
            `The mongodb database ${report.database} is up to date: ${report.created.length} ` +
              `index(es) created, ${report.existing.length} already there` +
              `${report.ttlUnsupported ? ' (the server has no TTL indexes: expired records are pruned periodically)' : ''}.` +
              `${dataSentence}\n`,
          );
        }
      }),
    );
}
