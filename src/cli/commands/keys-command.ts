import type { Command } from 'commander';
import type { z } from 'zod';

import { signingKeyListSchema, signingKeySchema } from '../../admin/key-routes.ts';
import { action, type CliContext } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { orDash, printFields, printJson, printTable } from '../output.ts';

type SigningKey = z.output<typeof signingKeySchema.schema>;

function printKeys(context: CliContext, keys: readonly SigningKey[]): void {
  if (context.json) {
    printJson(context.io, { items: keys });
    return;
  }
  printTable(
    context.io,
    keys,
    [
      { header: 'KID', value: (k: SigningKey) => k.kid },
      { header: 'ALG', value: (k: SigningKey) => k.alg },
      { header: 'STATE', value: (k: SigningKey) => k.state },
      { header: 'CREATED_AT', value: (k: SigningKey) => k.created_at },
      { header: 'ACTIVATED_AT', value: (k: SigningKey) => orDash(k.activated_at) },
      { header: 'RETIRED_AT', value: (k: SigningKey) => orDash(k.retired_at) },
    ],
    'No signing keys.',
  );
}

/** `tessera keys …`: the signing keys (docs/signing-keys.md#operators). */
export function registerKeysCommand(program: Command, io: CliIo): void {
  const keys = program
    .command('keys')
    .description('signing keys: list, rotate now, emergency retire')
    .addHelpText(
      'after',
      `
Keys go next (published, not signing) -> current (signing) -> retired (published until the
tokens they signed expire). The scheduler rotates by itself; these are for operators.

Examples:
  $ tessera keys list
  $ tessera keys rotate
  $ tessera keys retire 3kX9…`,
    );

  keys
    .command('list')
    .description('list the signing keys and their states')
    .addHelpText('after', '\nExample:\n  $ tessera keys list --json')
    .action(
      action(io, async (context) => {
        const { body } = await context
          .api()
          .call('GET', '/keys', { response: signingKeyListSchema.schema });
        printKeys(context, body.items);
      }),
    );

  keys
    .command('rotate')
    .description('rotate now: the next keys start signing, the current ones retire')
    .option(
      '--force',
      'rotate even if the next keys were published too recently for relying parties to have fetched them',
    )
    .addHelpText(
      'after',
      `
Without --force a rotation onto keys younger than the publication lead time is refused and the
remaining wait is named: relying parties caching the old key set would reject new tokens.

Examples:
  $ tessera keys rotate
  $ tessera keys rotate --force`,
    )
    .action(
      action(io, async (context, options: { force?: boolean }) => {
        const { body } = await context.api().call('POST', '/keys/rotate', {
          body: { force: options.force === true },
          response: signingKeyListSchema.schema,
        });
        printKeys(context, body.items);
      }),
    );

  keys
    .command('retire')
    .description('emergency retire: remove a key from the JWKS at once')
    .argument('<kid>')
    // A kid is an RFC 7638 thumbprint in base64url, so one in 64 starts with '-': taken as an
    // unknown option, it would be refused as a usage error. Unknown options here are the kid.
    .allowUnknownOption()
    .addHelpText(
      'after',
      `
Tokens the key signed stop verifying as soon as relying parties refetch the JWKS. The only
current key of an algorithm cannot be retired: rotate first.

Example:
  $ tessera keys retire 3kX9…`,
    )
    .action(
      action(io, async (context, kid: string) => {
        const { body } = await context
          .api()
          .call('POST', `/keys/${encodeURIComponent(kid)}/retire`, {
            response: signingKeySchema.schema,
          });
        if (context.json) printJson(context.io, body);
        else {
          context.io.stdout.write(`Retired signing key ${body.kid}; it has left the JWKS.\n`);
          printFields(context.io, [
            ['kid', body.kid],
            ['alg', body.alg],
            ['generation', body.generation],
            ['retired_at', orDash(body.retired_at)],
          ]);
        }
      }),
    );
}
