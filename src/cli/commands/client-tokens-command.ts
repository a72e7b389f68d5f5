import type { Command } from 'commander';

import { clientTokensRevokedSchema } from '../../admin/client-schemas.ts';
import { action, type CliContext } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { printFields, printJson } from '../output.ts';

const revokePath = (clientId: string) => `/clients/${encodeURIComponent(clientId)}/revoke-tokens`;

async function revokeClientTokens(context: CliContext, clientId: string) {
  const { body: revoked } = await context
    .api()
    .call('POST', revokePath(clientId), { response: clientTokensRevokedSchema.schema });
  if (context.json) {
    printJson(context.io, revoked);
    return;
  }
  printFields(context.io, [
    ['client_id', revoked.client_id],
    ['issued_before', revoked.issued_before],
    ['tokens_valid_until', revoked.tokens_valid_until],
    ['grants', String(revoked.revoked.grants)],
    ['refresh_tokens', String(revoked.revoked.refresh_tokens)],
    ['access_tokens', String(revoked.revoked.access_tokens)],
    ['codes', String(revoked.revoked.codes)],
  ]);
  context.io.stdout.write(
    `\nEvery token of ${revoked.client_id} issued until ${revoked.issued_before} is revoked. Its ` +
      'JWT access tokens are refused by introspection, and by resource servers following the ' +
      `events until ${revoked.tokens_valid_until}.\n`,
  );
}

/** `tessera clients revoke-tokens …`: incident response, keeping the client. */
export function registerClientTokensCommand(clients: Command, io: CliIo): void {
  clients
    .command('revoke-tokens')
    .description(
      'revoke every grant and token the client holds (its JWTs included), keeping the client',
    )
    .argument('<client_id>')
    .addHelpText(
      'after',
      `
For a leaked secret: remove that secret first (tessera clients secrets remove), then revoke, so
that nobody can get a new token with it afterwards. Tokens issued after the revocation are not
affected. docs/operations.md "Leaked client secret" has the whole runbook.

Example:
  $ tessera clients revoke-tokens cl_abc
  $ tessera clients revoke-tokens cl_abc --json`,
    )
    .action(action(io, revokeClientTokens));
}
