import {
  closeSync,
  fchmodSync,
  fstatSync,
  ftruncateSync,
  constants as fsConstants,
  openSync,
  writeSync,
} from 'node:fs';

import type { Command } from 'commander';

import { renderConfigFileJsonSchema } from '../../admin/config-file-schema.ts';
import { CliError, CliExit, EXIT_CHANGES } from '../cli-error.ts';
import { action, type CliContext } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import {
  applyChanges,
  ApplyStoppedError,
  type AppliedChange,
} from '../config-as-code/config-apply.ts';
import { exportState, renderExport } from '../config-as-code/config-export.ts';
import { readConfigFile } from '../config-as-code/config-file.ts';
import { planChanges, type Plan } from '../config-as-code/config-plan.ts';
import { fetchCurrentState } from '../config-as-code/config-state.ts';
import { planAsJson, printPlan } from '../config-as-code/plan-output.ts';
import { printJson, warnSecretShownOnce } from '../output.ts';

interface PlanOptions {
  file: string;
  prune?: boolean;
}

interface ApplyOptions extends PlanOptions {
  secretsOut?: string;
}

async function planFor(context: CliContext, options: PlanOptions): Promise<Plan> {
  const file = readConfigFile(options.file);
  const current = await fetchCurrentState(context.api());
  return planChanges(file.path, file.content, current, { prune: options.prune === true });
}

/**
 * Opens the --secrets-out file before anything is applied, so an unwritable path fails while no
 * secret exists yet: owner-only (0600, set on the open file, whatever the umask or an existing
 * file's mode), and never through a symbolic link someone else planted there.
 */
function openSecretsFile(path: string): number {
  // Not truncated here: an apply that makes no secret leaves the file, and the secrets an
  // earlier apply wrote there (shown only once), as they were.
  const { O_WRONLY, O_CREAT, O_NOFOLLOW } = fsConstants;
  try {
    const fd = openSync(path, O_WRONLY | O_CREAT | O_NOFOLLOW, 0o600);
    fchmodSync(fd, 0o600);
    return fd;
  } catch (error) {
    throw new CliError(
      `--secrets-out ${path}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** What apply did: one line per change (ids Tessera generated included), and the new secrets. */
function reportApplied(
  context: CliContext,
  applied: readonly AppliedChange[],
  secretsFile: { path: string; fd: number } | undefined,
): void {
  const withSecrets = applied.filter((change) => change.clientSecret !== undefined);
  // An empty (new) file still gets `{}`, so it is valid JSON; one holding earlier secrets is
  // replaced only by new ones.
  if (secretsFile && (withSecrets.length > 0 || fstatSync(secretsFile.fd).size === 0)) {
    ftruncateSync(secretsFile.fd, 0);
    const secrets = Object.fromEntries(
      withSecrets.map((change) => [
        change.key,
        { client_id: change.id, client_secret: change.clientSecret },
      ]),
    );
    writeSync(secretsFile.fd, `${JSON.stringify(secrets, null, 2)}\n`, 0);
  }
  const printSecrets = secretsFile === undefined;
  if (context.json) {
    printJson(context.io, {
      applied: applied.map(({ clientSecret, ...change }) => ({
        ...change,
        ...(printSecrets && clientSecret !== undefined ? { client_secret: clientSecret } : {}),
      })),
    });
  } else {
    for (const change of applied) {
      const label = change.section === 'clients' ? 'client_id' : 'id';
      context.io.stdout.write(
        `${change.action}d ${change.section}.${change.key}  ${label} ${change.id}\n`,
      );
      if (printSecrets && change.clientSecret !== undefined) {
        context.io.stdout.write(`    client_secret  ${change.clientSecret}\n`);
      }
    }
    if (applied.length === 0) context.io.stdout.write('No changes.\n');
  }
  if (withSecrets.length > 0) {
    if (secretsFile) {
      context.io.stderr.write(
        `Wrote ${withSecrets.length} client secret(s) to ${secretsFile.path}.\n`,
      );
    } else warnSecretShownOnce(context.io, 'client secrets');
  }
}

const FILE_HELP = 'the clients-as-code file (YAML or JSON; see tessera schema)';

export function registerConfigCommands(program: Command, io: CliIo): void {
  program
    .command('plan')
    .description('show what apply would change to make Tessera match a clients-as-code file')
    .requiredOption('-f, --file <path>', FILE_HELP)
    .option(
      '--prune',
      'also show the deletions of objects apply created that the file no longer names',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 nothing would change, 3 something would, 1 the request failed, 2 usage error.

Example:
  $ tessera plan -f tessera.yaml`,
    )
    .action(
      action(io, async (context, options: PlanOptions) => {
        const plan = await planFor(context, options);
        if (context.json) printJson(context.io, planAsJson(plan));
        else printPlan(context.io, options.file, plan);
        if (plan.changes.length > 0) throw new CliExit(EXIT_CHANGES);
      }),
    );

  program
    .command('apply')
    .description('make Tessera match a clients-as-code file; applying it again changes nothing')
    .requiredOption('-f, --file <path>', FILE_HELP)
    .option(
      '--prune',
      'delete resource servers and clients apply created that the file no longer names (never ones made by hand)',
    )
    .option(
      '--secrets-out <path>',
      "write new clients' generated secrets there (JSON, mode 0600) instead of printing them",
    )
    .addHelpText(
      'after',
      `
Each update and deletion applies only to the version planned against (If-Match): if someone
changed the object since, apply stops there, shows what changed, and applies nothing further.

Examples:
  $ tessera apply -f tessera.yaml
  $ tessera apply -f tessera.yaml --prune --secrets-out new-secrets.json`,
    )
    .action(
      action(io, async (context, options: ApplyOptions) => {
        const plan = await planFor(context, options);
        if (!context.json) printPlan(context.io, options.file, plan);
        const secretsFile =
          options.secretsOut === undefined
            ? undefined
            : { path: options.secretsOut, fd: openSecretsFile(options.secretsOut) };
        try {
          const applied = await applyChanges(
            context.api(),
            options.file,
            plan.changes,
            context.io.env,
          ).catch((error: unknown) => {
            if (error instanceof ApplyStoppedError) {
              reportApplied(context, error.applied, secretsFile);
            }
            throw error;
          });
          reportApplied(context, applied, secretsFile);
        } finally {
          if (secretsFile) closeSync(secretsFile.fd);
        }
      }),
    );

  program
    .command('export')
    .description(
      'print the current resource servers and clients as a clients-as-code file (no secrets)',
    )
    .addHelpText('after', '\nExample:\n  $ tessera export > tessera.yaml')
    .action(
      action(io, async (context) => {
        const file = exportState(await fetchCurrentState(context.api()));
        if (context.json) printJson(context.io, file);
        else context.io.stdout.write(renderExport(file));
      }),
    );

  program
    .command('schema')
    .description('print the JSON Schema of clients-as-code files, for editors')
    .addHelpText('after', '\nExample:\n  $ tessera schema > tessera.schema.json')
    .action(() => {
      io.stdout.write(renderConfigFileJsonSchema());
    });
}
