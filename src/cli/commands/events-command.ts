import type { Command } from 'commander';
import type { z } from 'zod';

import { eventListSchema } from '../../admin/event-routes.ts';
import { action } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { integerBetween } from '../option-parsers.ts';
import { printJson, printTable } from '../output.ts';

type Event = z.output<typeof eventListSchema.schema>['items'][number];

/** `tessera events list`: what the outbox recorded, newest first. */
export function registerEventsCommand(program: Command, io: CliIo): void {
  const events = program
    .command('events')
    .description('recent events from the outbox (with or without Kafka)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ tessera events list\n  $ tessera events list --type tessera.client.created --limit 5 --json',
    );

  events
    .command('list')
    .description('recent events, newest first')
    .option('--type <type>', 'only events of this type, e.g. tessera.client.updated')
    .option('--limit <n>', 'how many (1-100)', integerBetween(1, 100), 20)
    .addHelpText('after', '\nExample:\n  $ tessera events list --type tessera.client.deleted')
    .action(
      action(io, async (context, options: { type?: string; limit: number }) => {
        const { body } = await context.api().call('GET', '/events', {
          query: { type: options.type, limit: options.limit },
          response: eventListSchema.schema,
        });
        if (context.json) printJson(context.io, body);
        else {
          printTable(
            context.io,
            body.items,
            [
              { header: 'TIME', value: (e: Event) => e.time },
              { header: 'TYPE', value: (e: Event) => e.type },
              { header: 'SUBJECT', value: (e: Event) => e.subject },
              { header: 'PUBLISHED', value: (e: Event) => (e.published_at ? 'yes' : 'pending') },
              { header: 'ID', value: (e: Event) => e.id },
            ],
            'No events.',
          );
        }
      }),
    );
}
