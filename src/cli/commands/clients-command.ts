import { Option, type Command } from 'commander';
import type { z } from 'zod';

import { clientPageSchema, clientSchema, createdClientSchema } from '../../admin/client-schemas.ts';
import { etagFor } from '../../admin/preconditions.ts';
import { usageError } from '../cli-error.ts';
import { action, type CliContext } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import {
  joinList,
  orDash,
  printFields,
  printJson,
  printTable,
  warnSecretShownOnce,
} from '../output.ts';
import { collect, integerBetween, parseDuration, splitScopes } from '../option-parsers.ts';
import { registerClientSecretsCommand } from './client-secrets-command.ts';
import { registerClientTokensCommand } from './client-tokens-command.ts';
import { addPageOptions, fetchPages, printNextPageHint, type PageOptions } from './paging.ts';

type Client = z.output<typeof clientSchema.schema>;

const path = (clientId: string) => `/clients/${encodeURIComponent(clientId)}`;

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];

interface MetadataOptions {
  name?: string;
  grantType?: string[];
  scope?: string;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  authMethod?: string;
  public?: boolean;
  jwksUri?: string;
  backchannelLogoutUri?: string;
}

/** Metadata flags shared by create and update, mapped to oidc-provider's snake_case names. */
function addMetadataOptions(command: Command): Command {
  return command
    .option(
      '--grant-type <type>',
      'grant type, repeatable (client_credentials, authorization_code, refresh_token)',
      collect,
    )
    .option('--scope <scopes>', 'space-separated scopes the client may request')
    .option('--redirect-uri <uri>', 'redirect URI, repeatable', collect)
    .option('--post-logout-redirect-uri <uri>', 'post-logout redirect URI, repeatable', collect)
    .addOption(
      new Option('--auth-method <method>', 'token endpoint auth method')
        .choices(AUTH_METHODS)
        .conflicts('public'),
    )
    .option('--public', 'a public client (token_endpoint_auth_method none; PKCE required)')
    .option('--jwks-uri <uri>', 'where the public keys for private_key_jwt are published')
    .option('--backchannel-logout-uri <uri>', 'back-channel logout endpoint');
}

function metadataFrom(options: MetadataOptions): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (options.name !== undefined) metadata.name = options.name;
  if (options.grantType) metadata.grant_types = options.grantType;
  if (options.scope !== undefined) metadata.scope = splitScopes(options.scope).join(' ');
  if (options.redirectUri) metadata.redirect_uris = options.redirectUri;
  if (options.postLogoutRedirectUri)
    metadata.post_logout_redirect_uris = options.postLogoutRedirectUri;
  if (options.public) metadata.token_endpoint_auth_method = 'none';
  if (options.authMethod) metadata.token_endpoint_auth_method = options.authMethod;
  if (options.jwksUri !== undefined) metadata.jwks_uri = options.jwksUri;
  if (options.backchannelLogoutUri !== undefined)
    metadata.backchannel_logout_uri = options.backchannelLogoutUri;
  return metadata;
}

function printClient(io: CliIo, client: Client): void {
  printFields(io, [
    ['client_id', client.client_id],
    ['name', client.name],
    ['grant_types', joinList(client.grant_types)],
    ['auth_method', client.token_endpoint_auth_method],
    ['scope', orDash(client.scope)],
    ['redirect_uris', joinList(client.redirect_uris)],
    ['secrets', String(client.secrets.length)],
    ['version', String(client.version)],
    ['updated_at', client.updated_at],
    ...(client.tokens_revoked_at === undefined
      ? []
      : [['tokens_revoked_at', client.tokens_revoked_at] as const]),
  ]);
}

const CLIENT_COLUMNS = [
  { header: 'CLIENT_ID', value: (c: Client) => c.client_id },
  { header: 'NAME', value: (c: Client) => c.name },
  { header: 'GRANT_TYPES', value: (c: Client) => joinList(c.grant_types) },
  { header: 'AUTH', value: (c: Client) => c.token_endpoint_auth_method },
  { header: 'SCOPE', value: (c: Client) => orDash(c.scope) },
];

/** A secret to import, from the environment: never a flag, which would land in shell history. */
function knownSecretFrom(io: CliIo, variable: string): string {
  const secret = io.env[variable];
  if (!secret) throw usageError(`--secret-from-env: environment variable ${variable} is not set`);
  return secret;
}

async function createClient(
  context: CliContext,
  options: MetadataOptions & { id?: string; secretExpiresIn?: number; secretFromEnv?: string },
) {
  const body = {
    ...(options.id === undefined ? {} : { client_id: options.id }),
    ...(options.secretFromEnv === undefined
      ? {}
      : { client_secret: knownSecretFrom(context.io, options.secretFromEnv) }),
    ...metadataFrom(options),
    ...(options.secretExpiresIn === undefined
      ? {}
      : { secret_expires_at: new Date(Date.now() + options.secretExpiresIn * 1000).toISOString() }),
  };
  const { body: client } = await context.api().call('POST', '/clients', {
    body,
    response: createdClientSchema.schema,
  });
  if (context.json) printJson(context.io, client);
  else {
    printClient(context.io, client);
    if (client.client_secret) context.io.stdout.write(`client_secret  ${client.client_secret}\n`);
  }
  if (client.client_secret) warnSecretShownOnce(context.io, 'client secret');
}

async function updateClient(
  context: CliContext,
  clientId: string,
  options: MetadataOptions & { expectVersion?: number },
) {
  const patch = metadataFrom(options);
  if (Object.keys(patch).length === 0)
    throw usageError('nothing to change: pass at least one option (see --help)');
  const api = context.api();
  // Read-modify-write guarded by the ETag: a concurrent change elsewhere makes this fail (412)
  // instead of being overwritten.
  const ifMatch =
    options.expectVersion === undefined
      ? (
          await api.call('GET', path(clientId), {
            response: clientSchema.schema,
          })
        ).etag
      : etagFor(options.expectVersion);
  const { body: client } = await api.call('PATCH', path(clientId), {
    body: patch,
    ...(ifMatch === undefined ? {} : { ifMatch }),
    response: clientSchema.schema,
  });
  if (context.json) printJson(context.io, client);
  else printClient(context.io, client);
}

export function registerClientsCommand(program: Command, io: CliIo): void {
  const clients = program
    .command('clients')
    .description('OAuth clients: register, inspect, change, delete; manage their secrets')
    .addHelpText(
      'after',
      `
Examples:
  $ tessera clients create --name billing --scope "orders:read"
  $ tessera clients create --name spa --public --grant-type authorization_code \\
      --grant-type refresh_token --redirect-uri https://app.example.com/callback --scope "openid profile"
  $ tessera clients list --json
  $ tessera clients get cl_abc
  $ tessera clients update cl_abc --scope "orders:read orders:write"
  $ tessera clients delete cl_abc
  $ tessera clients revoke-tokens cl_abc
  $ tessera clients secrets add cl_abc --expires-in 90d`,
    );

  addMetadataOptions(
    clients
      .command('create')
      .description(
        'register a client; prints its client_id and, for confidential clients, its secret once',
      )
      .requiredOption('--name <name>', 'display name'),
  )
    .option(
      '--id <client_id>',
      'register under this client_id (e.g. the one it had on another server); generated otherwise',
    )
    .option(
      '--secret-expires-in <duration>',
      'first secret expires after this long (90d, 12h, 3600)',
      parseDuration,
    )
    .option(
      '--secret-from-env <NAME>',
      'confidential client: keep the secret it already has, read from this environment variable (stored hashed, not printed)',
    )
    .addHelpText(
      'after',
      `
Without --grant-type a client gets client_credentials; without --auth-method, client_secret_basic.
--id keeps a client's id when moving it from another server: printable ASCII without leading or
trailing spaces, at most 200 characters; an id already taken is refused (exit 1, HTTP 409).
--secret-from-env keeps its secret too (16-512 printable ASCII characters), read from the named
environment variable rather than a flag, so it stays out of shell history.

Examples:
  $ tessera clients create --name reporting --scope "reports:read"
  $ tessera clients create --name "Account console" --id account-console --scope openid
  $ MY_APP_SECRET=… tessera clients create --name "My app" --id my-app --secret-from-env MY_APP_SECRET
  $ tessera clients create --name web --public --grant-type authorization_code \\
      --redirect-uri https://web.example.com/callback --scope openid`,
    )
    .action(action(io, createClient));

  addPageOptions(clients.command('list').description('list clients, ordered by id'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ tessera clients list\n  $ tessera clients list --all --json',
    )
    .action(
      action(io, async (context, options: PageOptions) => {
        const page = await fetchPages(context, '/clients', clientPageSchema.schema, options);
        if (context.json) printJson(context.io, page);
        else {
          printTable(context.io, page.items, CLIENT_COLUMNS, 'No clients.');
          printNextPageHint(context, 'clients list', page.next_cursor);
        }
      }),
    );

  clients
    .command('get')
    .description('show one client')
    .argument('<client_id>')
    .addHelpText('after', '\nExample:\n  $ tessera clients get cl_abc --json')
    .action(
      action(io, async (context, clientId: string) => {
        const { body: client } = await context.api().call('GET', path(clientId), {
          response: clientSchema.schema,
        });
        if (context.json) printJson(context.io, client);
        else printClient(context.io, client);
      }),
    );

  addMetadataOptions(
    clients
      .command('update')
      .description("change a client's name or metadata (given options replace; others stay)")
      .argument('<client_id>')
      .option('--name <name>', 'display name'),
  )
    .option(
      '--expect-version <n>',
      'only apply if the client is still at this version',
      integerBetween(1, Number.MAX_SAFE_INTEGER),
    )
    .addHelpText(
      'after',
      `
The change applies to the version just read (or --expect-version): if someone else changed the
client meanwhile, it is refused rather than overwriting their change.

Examples:
  $ tessera clients update cl_abc --name "billing (eu)"
  $ tessera clients update cl_abc --redirect-uri https://a.example.com/cb --redirect-uri https://b.example.com/cb`,
    )
    .action(action(io, updateClient));

  clients
    .command('delete')
    .description('delete a client; it can no longer authenticate, and all it holds is revoked')
    .argument('<client_id>')
    .addHelpText('after', '\nExample:\n  $ tessera clients delete cl_abc')
    .action(
      action(io, async (context, clientId: string) => {
        await context.api().call('DELETE', path(clientId));
        if (context.json) printJson(context.io, { client_id: clientId, deleted: true });
        else context.io.stdout.write(`Deleted client ${clientId}.\n`);
      }),
    );

  registerClientTokensCommand(clients, io);
  registerClientSecretsCommand(clients, io);
}
