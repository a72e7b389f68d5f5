import { Option, type Command } from 'commander';
import type { z } from 'zod';

import {
  resourceServerPageSchema,
  resourceServerSchema,
} from '../../admin/resource-server-routes.ts';
import { usageError } from '../cli-error.ts';
import { action, type CliContext } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { collect, integerBetween, splitScopes } from '../option-parsers.ts';
import { joinList, printFields, printJson, printTable } from '../output.ts';
import { addPageOptions, fetchPages, printNextPageHint, type PageOptions } from './paging.ts';

type ResourceServer = z.output<typeof resourceServerSchema.schema>;

interface SettingsOptions {
  name?: string;
  scope?: string;
  format?: 'jwt' | 'opaque';
  ttl?: number;
  /** Repeatable `--introspector <client_id>`: the whole list. */
  introspector?: string[];
  /** commander's `--no-introspectors`: false when given. */
  introspectors?: boolean;
  /** `--require-dpop` (true) or `--no-require-dpop` (false); undefined when neither is given. */
  requireDpop?: boolean;
}

const formatOption = () =>
  new Option('--format <format>', 'access token format').choices(['jwt', 'opaque']);
const ttlOption = () =>
  new Option('--ttl <seconds>', 'access-token lifetime in seconds (1-86400)').argParser(
    integerBetween(1, 86_400),
  );

function settingsFrom(options: SettingsOptions): Record<string, unknown> {
  return {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.scope === undefined ? {} : { scopes: splitScopes(options.scope) }),
    ...(options.format === undefined ? {} : { access_token_format: options.format }),
    ...(options.ttl === undefined ? {} : { access_token_ttl: options.ttl }),
    ...introspectorsFrom(options),
    ...(options.requireDpop === undefined ? {} : { require_dpop: options.requireDpop }),
  };
}

function introspectorsFrom(options: SettingsOptions): { introspectors?: string[] } {
  if (options.introspectors === false) {
    if (options.introspector) {
      throw usageError('pass either --introspector or --no-introspectors, not both');
    }
    return { introspectors: [] };
  }
  return options.introspector ? { introspectors: options.introspector } : {};
}

const introspectorOption = (what: string) =>
  new Option('--introspector <client_id>', what).argParser(collect);

function printResourceServer(io: CliIo, server: ResourceServer): void {
  printFields(io, [
    ['id', server.id],
    ['audience', server.audience],
    ['name', server.name],
    ['scopes', server.scopes.join(' ')],
    ['format', server.access_token_format],
    ['ttl', `${server.access_token_ttl}s`],
    ['introspectors', joinList(server.introspectors)],
    ['require dpop', server.require_dpop ? 'yes' : 'no'],
    ['version', String(server.version)],
  ]);
}

const path = (id: string) => `/resource-servers/${encodeURIComponent(id)}`;

async function showResult(context: CliContext, server: ResourceServer): Promise<void> {
  if (context.json) printJson(context.io, server);
  else printResourceServer(context.io, server);
}

/** `tessera resources …`: the APIs tokens are issued for (RFC 8707 resource indicators). */
export function registerResourcesCommand(program: Command, io: CliIo): void {
  const resources = program
    .command('resources')
    .description('resource servers: the APIs access tokens are issued for')
    .addHelpText(
      'after',
      `
Examples:
  $ tessera resources create --audience https://orders.example.com --scope "orders:read orders:write"
  $ tessera resources create --audience https://ledger.example.com --scope ledger:read --format opaque --ttl 300
  $ tessera resources update rs_abc --introspector cl_ledger_api
  $ tessera resources update rs_abc --require-dpop
  $ tessera resources list
  $ tessera resources delete rs_abc`,
    );

  resources
    .command('create')
    .description('register an API; clients then ask for tokens with resource=<audience>')
    .requiredOption('--audience <uri>', 'the resource indicator (absolute URI, unique)')
    .requiredOption('--scope <scopes>', 'space-separated scopes the API offers')
    .option('--name <name>', 'display name (default: the audience)')
    .addOption(formatOption().default('jwt'))
    .addOption(ttlOption())
    .addOption(
      introspectorOption(
        'a client that may introspect tokens for this audience besides their own client, repeatable',
      ),
    )
    .option('--require-dpop', 'issue its tokens only to requests with a DPoP proof (RFC 9449)')
    .addHelpText(
      'after',
      `
Tokens are introspected (RFC 7662) only by the client they were issued to and by the clients
named with --introspector; anyone else is answered {"active":false}.

With --require-dpop, a token request for this audience without a DPoP proof is refused
(invalid_request), so every token issued for it is bound to the client's key (cnf.jkt).

Examples:
  $ tessera resources create --audience https://orders.example.com --scope "orders:read orders:write" --ttl 900
  $ tessera resources create --audience https://ledger.example.com --scope ledger:read --format opaque \\
      --introspector cl_ledger_api
  $ tessera resources create --audience https://payments.example.com --scope payments:write --require-dpop`,
    )
    .action(
      action(io, async (context, options: SettingsOptions & { audience: string }) => {
        const { body } = await context.api().call('POST', '/resource-servers', {
          body: { audience: options.audience, ...settingsFrom(options) },
          response: resourceServerSchema.schema,
        });
        await showResult(context, body);
      }),
    );

  addPageOptions(resources.command('list').description('list resource servers'))
    .addHelpText('after', '\nExample:\n  $ tessera resources list --json')
    .action(
      action(io, async (context, options: PageOptions) => {
        const page = await fetchPages(
          context,
          '/resource-servers',
          resourceServerPageSchema.schema,
          options,
        );
        if (context.json) printJson(context.io, page);
        else {
          printTable(
            context.io,
            page.items,
            [
              { header: 'ID', value: (r: ResourceServer) => r.id },
              { header: 'AUDIENCE', value: (r: ResourceServer) => r.audience },
              { header: 'FORMAT', value: (r: ResourceServer) => r.access_token_format },
              { header: 'TTL', value: (r: ResourceServer) => `${r.access_token_ttl}s` },
              { header: 'SCOPES', value: (r: ResourceServer) => joinList(r.scopes) },
            ],
            'No resource servers.',
          );
          printNextPageHint(context, 'resources list', page.next_cursor);
        }
      }),
    );

  resources
    .command('get')
    .description('show one resource server')
    .argument('<id>')
    .addHelpText('after', '\nExample:\n  $ tessera resources get rs_abc')
    .action(
      action(io, async (context, id: string) => {
        const { body } = await context
          .api()
          .call('GET', path(id), { response: resourceServerSchema.schema });
        await showResult(context, body);
      }),
    );

  resources
    .command('update')
    .description(
      "change a resource server's name, scopes, format, TTL, introspectors or DPoP requirement " +
        '(the audience is fixed)',
    )
    .argument('<id>')
    .option('--name <name>', 'display name')
    .option('--scope <scopes>', 'space-separated scopes (replaces the list)')
    .addOption(formatOption())
    .addOption(ttlOption())
    .addOption(introspectorOption('a client that may introspect, repeatable (replaces the list)'))
    .option('--no-introspectors', 'remove every introspector')
    .option('--require-dpop', 'from now on, issue its tokens only to requests with a DPoP proof')
    .option('--no-require-dpop', 'issue bearer tokens again to requests without a DPoP proof')
    .addHelpText(
      'after',
      `
Examples:
  $ tessera resources update rs_abc --scope "orders:read orders:write orders:admin"
  $ tessera resources update rs_abc --introspector cl_orders_api --introspector cl_audit
  $ tessera resources update rs_abc --no-introspectors
  $ tessera resources update rs_abc --require-dpop`,
    )
    .action(
      action(io, async (context, id: string, options: SettingsOptions) => {
        const patch = settingsFrom(options);
        if (Object.keys(patch).length === 0) {
          throw usageError('nothing to change: pass at least one option (see --help)');
        }
        const api = context.api();
        const { etag } = await api.call('GET', path(id), { response: resourceServerSchema.schema });
        const { body } = await api.call('PATCH', path(id), {
          body: patch,
          ...(etag === undefined ? {} : { ifMatch: etag }),
          response: resourceServerSchema.schema,
        });
        await showResult(context, body);
      }),
    );

  resources
    .command('delete')
    .description(
      'delete a resource server; no more tokens for its audience, and its opaque ones go inactive',
    )
    .argument('<id>')
    .addHelpText('after', '\nExample:\n  $ tessera resources delete rs_abc')
    .action(
      action(io, async (context, id: string) => {
        await context.api().call('DELETE', path(id));
        if (context.json) printJson(context.io, { id, deleted: true });
        else context.io.stdout.write(`Deleted resource server ${id}.\n`);
      }),
    );
}
