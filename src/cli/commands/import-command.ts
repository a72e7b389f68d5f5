import type { Command } from 'commander';

import { CliError, EXIT_FAILURE } from '../cli-error.ts';
import { action, type CliContext } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { planKeycloakImport, type ImportPlan } from '../keycloak/keycloak-mapping.ts';
import { parseKeycloakRealm } from '../keycloak/keycloak-realm.ts';
import { printJson } from '../output.ts';
import { readInputFile } from '../read-input-file.ts';

interface Step {
  readonly what: string;
  readonly path: string;
  readonly body: unknown;
}

const stepsOf = (plan: ImportPlan): Step[] => [
  ...plan.resourceServers.map((server) => ({
    what: `resource server ${server.audience} (${server.body.scopes.join(' ')})`,
    path: '/resource-servers',
    body: server.body,
  })),
  ...plan.clients.map((client) => ({
    what: `client ${client.clientId}`,
    path: '/clients',
    body: client.body,
  })),
  ...plan.users.map((user) => ({ what: `user ${user.username}`, path: '/users', body: user.body })),
];

/**
 * Creates the plan's objects through the admin API, one call each, in order (resource servers
 * before the clients allowed their scopes). A refused object is reported and the rest goes on:
 * an import run again skips nothing silently, it reports what exists (409) as failed.
 */
async function runSteps(context: CliContext, steps: readonly Step[], dryRun: boolean) {
  const done: string[] = [];
  const failed: string[] = [];
  for (const step of steps) {
    if (dryRun) {
      done.push(step.what);
      continue;
    }
    try {
      const { body } = await context.api().call('POST', step.path, { body: step.body });
      // A secret Tessera made (the export had none): shown this once, like `clients create`.
      // The API never returns a secret it was given (client-routes.ts), only one it generated.
      const secret = (body as { client_secret?: unknown }).client_secret;
      done.push(
        typeof secret === 'string'
          ? `${step.what} with the new secret ${secret} (shown once: store it now)`
          : step.what,
      );
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== EXIT_FAILURE) throw error;
      failed.push(`${step.what}: ${error.message}`);
    }
  }
  return { done, failed };
}

/** `tessera import keycloak <file>`: a realm export becomes Tessera's objects. */
export function registerImportCommand(program: Command, io: CliIo): void {
  const imports = program
    .command('import')
    .description('import clients, users and resource servers from another server');
  imports
    .command('keycloak')
    .description('import a Keycloak realm export (kc.sh export --realm … --file …)')
    .argument('<file>', 'the realm export, JSON')
    .option(
      '--dry-run',
      'print what would be created and what cannot be carried over; change nothing',
    )
    .option(
      '--audience <uri>',
      'audience of the resource server for client scopes without an audience mapper (default urn:keycloak:realm:<realm>)',
    )
    .addHelpText(
      'after',
      `
Users keep their passwords: Keycloak's pbkdf2-sha256, pbkdf2-sha512 and argon2 hashes are
verified at the first sign-in and replaced by Tessera's argon2id then. Users with another
algorithm, or none, are imported without a usable password (set one with users set-password).
Roles, groups, identity providers, flows and the rest are listed as not carried over.

Examples:
  $ tessera import keycloak realm-export.json --dry-run
  $ tessera import keycloak realm-export.json`,
    )
    .action(
      action(
        io,
        async (context, file: string, options: { dryRun?: boolean; audience?: string }) => {
          const realm = parseKeycloakRealm(file, readInputFile(file));
          const audience = options.audience ?? `urn:keycloak:realm:${realm.realm}`;
          const plan = planKeycloakImport(realm, audience);
          const dryRun = options.dryRun === true;
          const { done, failed } = await runSteps(context, stepsOf(plan), dryRun);
          if (context.json) {
            printJson(context.io, {
              dry_run: dryRun,
              [dryRun ? 'would_create' : 'created']: done,
              not_carried: plan.notCarried,
              failed,
            });
          } else {
            const verb = dryRun ? 'would create' : 'created';
            const lines = [
              ...done.map((what) => `${verb} ${what}`),
              ...plan.notCarried.map((line) => `not carried over: ${line}`),
              ...failed.map((line) => `failed: ${line}`),
            ];
            context.io.stdout.write(lines.map((line) => `${line}\n`).join(''));
          }
          if (failed.length > 0) {
            throw new CliError(`${failed.length} object(s) of ${file} could not be imported`);
          }
        },
      ),
    );
}
