import { Command } from 'commander';

import { DEFAULT_URL } from './cli-context.ts';
import type { CliIo } from './cli-io.ts';
import { registerClientsCommand } from './commands/clients-command.ts';
import { registerConfigCommands } from './commands/config-commands.ts';
import { registerEventsCommand } from './commands/events-command.ts';
import { registerImportCommand } from './commands/import-command.ts';
import { registerInitCommand } from './commands/init-command.ts';
import { registerKeysCommand } from './commands/keys-command.ts';
import { registerMigrateCommand } from './commands/migrate-command.ts';
import { registerResourcesCommand } from './commands/resources-command.ts';
import { registerUsersCommand } from './commands/users-command.ts';

/**
 * The `tessera` command tree (docs/admin-api-and-cli.md#the-tessera-cli). Built on commander:
 * subcommands, repeatable and conflicting options, generated --help; exitOverride() hands every
 * exit back to main.ts, which owns the exit codes.
 */
export function createProgram(io: CliIo): Command {
  const program = new Command('tessera')
    .description('Manage a Tessera token service through its admin API')
    .option('--url <url>', `Tessera's base URL (env TESSERA_URL, default ${DEFAULT_URL})`)
    .option('--client-id <id>', 'admin client id (env TESSERA_CLIENT_ID)')
    .option(
      '--client-secret <secret>',
      'admin client secret (env TESSERA_CLIENT_SECRET; prefer it: flags land in shell history)',
    )
    .option('--json', 'print machine-readable JSON instead of tables')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Every command except init and migrate calls the admin API with a client-credentials token of an
admin client (scope tessera:admin); \`tessera init\` creates the first one.

Exit codes: 0 success, 1 refused or failed (message on stderr), 2 usage error; plan: 3 when
applying the file would change something.

Examples:
  $ tessera init
  $ export TESSERA_CLIENT_ID=cl_... TESSERA_CLIENT_SECRET=...
  $ tessera resources create --audience https://orders.example.com --scope "orders:read"
  $ tessera clients create --name billing --scope orders:read
  $ tessera events list --json`,
    );

  registerInitCommand(program, io);
  registerMigrateCommand(program, io);
  registerClientsCommand(program, io);
  registerResourcesCommand(program, io);
  registerUsersCommand(program, io);
  registerKeysCommand(program, io);
  registerEventsCommand(program, io);
  registerImportCommand(program, io);
  registerConfigCommands(program, io);
  return program;
}
