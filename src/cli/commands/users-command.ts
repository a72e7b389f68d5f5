import type { Command } from 'commander';
import type { z } from 'zod';

import { factorResetSchema, userFactorsSchema } from '../../admin/user-factor-routes.ts';
import { userPageSchema, userSchema } from '../../admin/user-routes.ts';
import { usageError } from '../cli-error.ts';
import { action, type CliContext } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { orDash, printFields, printJson, printTable } from '../output.ts';
import { readPasswordFromStdin } from '../read-password.ts';
import { addPageOptions, fetchPages, printNextPageHint, type PageOptions } from './paging.ts';
import {
  addProfileOptions,
  profileFieldsFrom,
  type ProfileOptions,
} from './user-profile-options.ts';

type User = z.output<typeof userSchema.schema>;

const path = (id: string) => `/users/${encodeURIComponent(id)}`;

function printUser(context: CliContext, user: User): void {
  if (context.json) {
    printJson(context.io, user);
    return;
  }
  printFields(context.io, [
    ['id', user.id],
    ['username', user.username],
    ['email', `${orDash(user.email)}${user.email && user.email_verified ? ' (verified)' : ''}`],
    ['name', orDash(user.name)],
    ['given_name', orDash(user.given_name)],
    ['family_name', orDash(user.family_name)],
    ['locale', orDash(user.locale)],
    ['zoneinfo', orDash(user.zoneinfo)],
    ['picture', orDash(user.picture)],
    ['disabled', user.disabled ? 'yes' : 'no'],
    ['locked_until', orDash(user.locked_until)],
    ['created_at', user.created_at],
  ]);
}

/** disable / enable / unlock: POST /users/{id}/<verb>, the user back. */
function registerUserAction(users: Command, io: CliIo, verb: string, description: string): void {
  users
    .command(verb)
    .description(description)
    .argument('<id>')
    .addHelpText('after', `\nExample:\n  $ tessera users ${verb} acc_abc`)
    .action(
      action(io, async (context, id: string) => {
        const { body } = await context
          .api()
          .call('POST', `${path(id)}/${verb}`, { response: userSchema.schema });
        printUser(context, body);
      }),
    );
}

/** `tessera users …`: end-user accounts. */
export function registerUsersCommand(program: Command, io: CliIo): void {
  const users = program
    .command('users')
    .description(
      'end-user accounts: create, list, inspect, update profiles, disable, unlock, set passwords',
    )
    .addHelpText(
      'after',
      `
Passwords are read from standard input (--password-stdin), never from the command line.

Examples:
  $ printf '%s' "$PASSWORD" | tessera users create --username alice --email alice@example.com --password-stdin
  $ tessera users list --search alice
  $ tessera users update acc_abc --given-name Alice --locale en-GB --zoneinfo Europe/London
  $ tessera users disable acc_abc
  $ tessera users set-password acc_abc --password-stdin < new-password.txt`,
    );

  addProfileOptions(
    users
      .command('create')
      .description('create a user; the password comes from standard input')
      .requiredOption('--username <username>', 'sign-in name')
      .option('--email <email>', 'email address')
      .option('--email-verified', 'mark the email address as verified'),
    false,
  )
    .option('--password-stdin', 'read the password from standard input (required)')
    .addHelpText(
      'after',
      `\nExample:\n  $ printf '%s' "$PASSWORD" | tessera users create --username alice --given-name Alice --password-stdin`,
    )
    .action(
      action(
        io,
        async (
          context,
          options: ProfileOptions & {
            username: string;
            email?: string;
            emailVerified?: boolean;
            passwordStdin?: boolean;
          },
        ) => {
          const password = await readPasswordFromStdin(context.io.stdin, options.passwordStdin);
          const { body } = await context.api().call('POST', '/users', {
            body: {
              username: options.username,
              password,
              ...(options.email === undefined ? {} : { email: options.email }),
              ...(options.emailVerified ? { email_verified: true } : {}),
              ...profileFieldsFrom(options),
            },
            response: userSchema.schema,
          });
          printUser(context, body);
        },
      ),
    );

  addPageOptions(
    users
      .command('list')
      .description('list users, ordered by id')
      .option(
        '--search <text>',
        'only users whose username, email or name contains this (any case)',
      ),
  )
    .addHelpText('after', '\nExample:\n  $ tessera users list --search example.com --json')
    .action(
      action(io, async (context, options: PageOptions & { search?: string }) => {
        const page = await fetchPages(context, '/users', userPageSchema.schema, options, {
          search: options.search,
        });
        if (context.json) printJson(context.io, page);
        else {
          printTable(
            context.io,
            page.items,
            [
              { header: 'ID', value: (u: User) => u.id },
              { header: 'USERNAME', value: (u: User) => u.username },
              { header: 'EMAIL', value: (u: User) => orDash(u.email) },
              { header: 'DISABLED', value: (u: User) => (u.disabled ? 'yes' : 'no') },
              { header: 'LOCKED_UNTIL', value: (u: User) => orDash(u.locked_until) },
            ],
            'No users.',
          );
          printNextPageHint(context, 'users list', page.next_cursor);
        }
      }),
    );

  users
    .command('get')
    .description('show one user')
    .argument('<id>')
    .addHelpText('after', '\nExample:\n  $ tessera users get acc_abc')
    .action(
      action(io, async (context, id: string) => {
        const { body } = await context.api().call('GET', path(id), { response: userSchema.schema });
        printUser(context, body);
      }),
    );

  addProfileOptions(
    users
      .command('update')
      .description("change a user's profile: set fields, or remove them with --no-<field>")
      .argument('<id>'),
    true,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera users update acc_abc --given-name Alice --family-name Liddell
  $ tessera users update acc_abc --locale fr-CA --zoneinfo America/Montreal
  $ tessera users update acc_abc --no-picture`,
    )
    .action(
      action(io, async (context, id: string, options: ProfileOptions) => {
        const patch = profileFieldsFrom(options);
        if (Object.keys(patch).length === 0) {
          throw usageError('nothing to change: pass at least one option (see --help)');
        }
        const { body } = await context
          .api()
          .call('PATCH', path(id), { body: patch, response: userSchema.schema });
        printUser(context, body);
      }),
    );

  registerUserAction(
    users,
    io,
    'disable',
    'disable a user: sign-in is refused, its sessions end and its tokens are revoked',
  );
  registerUserAction(users, io, 'enable', 'enable a disabled user');
  registerUserAction(users, io, 'unlock', 'clear failed sign-ins and any lockout');

  users
    .command('set-password')
    .description(
      "set a user's password, read from standard input; its sessions end and its tokens are revoked",
    )
    .argument('<id>')
    .option('--password-stdin', 'read the password from standard input (required)')
    .addHelpText(
      'after',
      `\nExample:\n  $ tessera users set-password acc_abc --password-stdin < new-password.txt`,
    )
    .action(
      action(io, async (context, id: string, options: { passwordStdin?: boolean }) => {
        const password = await readPasswordFromStdin(context.io.stdin, options.passwordStdin);
        await context.api().call('PUT', `${path(id)}/password`, { body: { password } });
        if (context.json) printJson(context.io, { id, password_changed: true });
        else context.io.stdout.write(`Changed the password of user ${id}.\n`);
      }),
    );

  registerFactorCommands(users, io);
}

/** `tessera users factors` and `tessera users reset-factors`: an account's second factors. */
function registerFactorCommands(users: Command, io: CliIo): void {
  users
    .command('factors')
    .description("list a user's second factors (authenticator app, recovery codes)")
    .argument('<id>')
    .addHelpText('after', '\nExample:\n  $ tessera users factors acc_abc')
    .action(
      action(io, async (context, id: string) => {
        const { body } = await context
          .api()
          .call('GET', `${path(id)}/factors`, { response: userFactorsSchema.schema });
        if (context.json) {
          printJson(context.io, body);
          return;
        }
        printTable(
          context.io,
          body.items,
          [
            { header: 'KIND', value: (f) => f.kind },
            { header: 'NAME', value: (f) => orDash(f.name) },
            { header: 'CREATED_AT', value: (f) => f.created_at },
            { header: 'LAST_USED_AT', value: (f) => orDash(f.last_used_at) },
            { header: 'REMAINING', value: (f) => orDash(f.remaining?.toString() ?? null) },
          ],
          'No second factors.',
        );
      }),
    );

  users
    .command('reset-factors')
    .description(
      'remove every second factor of a user; its sessions end and its tokens are revoked',
    )
    .argument('<id>')
    .addHelpText('after', '\nExample:\n  $ tessera users reset-factors acc_abc')
    .action(
      action(io, async (context, id: string) => {
        const { body } = await context
          .api()
          .call('POST', `${path(id)}/reset-factors`, { response: factorResetSchema.schema });
        if (context.json) printJson(context.io, { id, ...body });
        else {
          context.io.stdout.write(
            `Removed ${body.removed} second factor(s) of user ${id}; ended ${body.sessions_ended} session(s).\n`,
          );
        }
      }),
    );
}
