import type { Command } from 'commander';
import type { z } from 'zod';

import { createdSecretSchema, secretListSchema } from '../../admin/client-schemas.ts';
import { action } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { parseDuration } from '../option-parsers.ts';
import { orDash, printFields, printJson, printTable, warnSecretShownOnce } from '../output.ts';

type SecretInfo = z.output<typeof secretListSchema.schema>['items'][number];

const secretsPath = (clientId: string) => `/clients/${encodeURIComponent(clientId)}/secrets`;

/** `tessera clients secrets …`: rotate a client's secrets without downtime. */
export function registerClientSecretsCommand(clients: Command, io: CliIo): void {
  const secrets = clients
    .command('secrets')
    .description("a confidential client's secrets: add (shown once), list, remove")
    .addHelpText(
      'after',
      `
Rotate without downtime: add a new secret, deploy it, then remove the old one.

Examples:
  $ tessera clients secrets add cl_abc --expires-in 90d
  $ tessera clients secrets list cl_abc
  $ tessera clients secrets remove cl_abc sec_old`,
    );

  secrets
    .command('add')
    .description('add a secret; prints its value once')
    .argument('<client_id>')
    .option(
      '--expires-in <duration>',
      'the secret stops working after this long (90d, 12h, 3600)',
      parseDuration,
    )
    .addHelpText('after', '\nExample:\n  $ tessera clients secrets add cl_abc --expires-in 90d')
    .action(
      action(io, async (context, clientId: string, options: { expiresIn?: number }) => {
        const body =
          options.expiresIn === undefined
            ? {}
            : { expires_at: new Date(Date.now() + options.expiresIn * 1000).toISOString() };
        const { body: secret } = await context
          .api()
          .call('POST', secretsPath(clientId), { body, response: createdSecretSchema.schema });
        if (context.json) printJson(context.io, secret);
        else {
          printFields(context.io, [
            ['secret_id', secret.id],
            ['expires_at', orDash(secret.expires_at)],
            ['client_secret', secret.secret],
          ]);
        }
        warnSecretShownOnce(context.io, 'client secret');
      }),
    );

  secrets
    .command('list')
    .description('list secret ids, creation and expiry (never the values)')
    .argument('<client_id>')
    .addHelpText('after', '\nExample:\n  $ tessera clients secrets list cl_abc')
    .action(
      action(io, async (context, clientId: string) => {
        const { body } = await context
          .api()
          .call('GET', secretsPath(clientId), { response: secretListSchema.schema });
        if (context.json) printJson(context.io, body);
        else {
          printTable(
            context.io,
            body.items,
            [
              { header: 'SECRET_ID', value: (s: SecretInfo) => s.id },
              { header: 'CREATED_AT', value: (s: SecretInfo) => s.created_at },
              { header: 'EXPIRES_AT', value: (s: SecretInfo) => orDash(s.expires_at) },
            ],
            'No secrets.',
          );
        }
      }),
    );

  secrets
    .command('remove')
    .description("remove a secret (refused for the client's last live one)")
    .argument('<client_id>')
    .argument('<secret_id>')
    .addHelpText('after', '\nExample:\n  $ tessera clients secrets remove cl_abc sec_old')
    .action(
      action(io, async (context, clientId: string, secretId: string) => {
        await context
          .api()
          .call('DELETE', `${secretsPath(clientId)}/${encodeURIComponent(secretId)}`);
        if (context.json) {
          printJson(context.io, { client_id: clientId, secret_id: secretId, removed: true });
        } else context.io.stdout.write(`Removed secret ${secretId} of client ${clientId}.\n`);
      }),
    );
}
