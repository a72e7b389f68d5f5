import type { Command } from 'commander';

import { CliError } from '../cli-error.ts';
import { action } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { printJson } from '../output.ts';
import { loadCliConfig } from '../store-session.ts';
import type { RekeyReport, UsernameCollision } from '../../services/usernames/username-rekey.ts';

/** The username re-key in --json output (snake_case, like the rest of the CLI's JSON). */
const usernameJson = (report: RekeyReport) => ({
  checked: report.checked,
  rekeyed: report.rekeyed,
  collisions: report.collisions.map((collision) => ({
    account_id: collision.accountId,
    conflicts_with: collision.conflictsWith ?? null,
    kind: collision.kind,
  })),
});

const describeCollision = (collision: UsernameCollision): string =>
  collision.kind === 'same_username'
    ? `accounts ${collision.accountId} and ${collision.conflictsWith ?? '(unknown)'} now have the same username; ` +
      `${collision.accountId} keeps its old key, and signing in with its username reaches the other: disable one of them`
    : `the username of account ${collision.accountId} looks like that of ${collision.conflictsWith ?? '(unknown)'}; ` +
      'both keep working, new look-alikes are refused: disable it if it is a spoof';

/**
 * `tessera migrate`: brings the store's schema and indexes up to date through
 * migrateStorage() — SQLite and MongoDB apply their pending schema steps —
 * runs the pending one-time data migrations (such as re-keying tokens an older Tessera stored in
 * the clear), and re-keys usernames stored under older rules, warning on stderr about every two accounts
 * the current rules make one username or look-alikes (exit 0: the store is migrated).
 * Idempotent and safe while Tessera serves.
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
creating indexes itself. It also runs the one-time data migrations a new version brings (the
server runs them at startup too), gives usernames stored under older rules their current keys,
and warns about accounts whose usernames now collide (they are never merged).

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
        const usernames = usernameJson(report.usernames);
        const dataMigrations = report.dataMigrations.map((step) => ({
          name: step.name,
          changed: step.changed,
        }));
        if (report.kind === 'sqlite') {
          if (context.json) {
            printJson(io, {
              storage: 'sqlite',
              location: report.path,
              migrated: true,
              data_migrations: dataMigrations,
              usernames,
            });
          } else io.stdout.write(`The sqlite store at ${report.path} is up to date.\n`);
        } else if (context.json) {
          printJson(io, {
            storage: 'mongodb',
            location: report.database,
            migrated: true,
            applied_steps: report.applied,
            created_indexes: report.created,
            existing_indexes: report.existing,
            ttl_indexes: !report.ttlUnsupported,
            data_migrations: dataMigrations,
            usernames,
          });
        } else {
          io.stdout.write(
            `The mongodb database ${report.database} is up to date: ${report.applied.length} ` +
              `schema step(s) applied, ${report.created.length} index(es) created, ` +
              `${report.existing.length} already there` +
              `${report.ttlUnsupported ? ' (the server has no TTL indexes: expired records are pruned periodically)' : ''}.\n`,
          );
        }
        if (!context.json) {
          for (const step of report.dataMigrations) {
            io.stdout.write(`Data migration ${step.name}: ${step.changed} record(s) changed.\n`);
          }
        }
        if (!context.json && report.usernames.rekeyed > 0) {
          io.stdout.write(
            `${report.usernames.rekeyed} username(s) re-keyed to the current username rules.\n`,
          );
        }
        // Collisions are reported, never merged: an administrator decides (docs/security.md).
        for (const collision of report.usernames.collisions) {
          io.stderr.write(`tessera: warning: ${describeCollision(collision)}\n`);
        }
      }),
    );
}
