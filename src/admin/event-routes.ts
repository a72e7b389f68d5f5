import { z } from 'zod';

import { toCloudEvent } from '../events/cloud-event.ts';
import { EVENT_TYPES } from '../events/event-types.ts';
import type { OutboxStore, StoredOutboxEvent } from '../ports/outbox.ts';
import { defineRoute, type AdminRoute } from './admin-route.ts';
import { MAX_PAGE_SIZE, optionalTimestamp, pageQueryShape } from './common-schemas.ts';
import { named } from './named-schema.ts';

export const eventSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string(),
    source: z.string(),
    type: z.string(),
    subject: z.string(),
    time: z.string().describe('RFC 3339'),
    datacontenttype: z.literal('application/json'),
    partitionkey: z.string().describe('The Kafka message key (docs/events.schema.json)'),
    data: z.record(z.string(), z.unknown()),
    sequence: z.int().describe('Position in the outbox (append order)'),
    published_at: z
      .string()
      .nullable()
      .describe('When the relay published it to Kafka; null while pending'),
  })
  .describe('A CloudEvents 1.0 event from the outbox');

export const eventListSchema = named(
  'EventList',
  z.object({ items: z.array(eventSchema).describe('Newest first') }),
);

const eventQuery = z
  .object({
    type: z.enum(EVENT_TYPES).optional().describe('Only events of this type'),
    limit: pageQueryShape.limit.describe(`How many, 1-${MAX_PAGE_SIZE}`),
  })
  .strict();

/** The event as Kafka carries it (src/events/cloud-event.ts), plus its place in the outbox. */
export function toEventView(event: StoredOutboxEvent) {
  return {
    ...toCloudEvent(event),
    sequence: event.sequence,
    published_at: optionalTimestamp(event.publishedAt),
  };
}

/** Recent events from the transactional outbox (docs/events.md#delivery), with or without Kafka. */
export function createEventRoutes(outbox: OutboxStore): AdminRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/events',
      operationId: 'listEvents',
      tag: 'events',
      summary: 'Recent events, newest first',
      query: eventQuery,
      responses: { 200: { description: 'The events', body: eventListSchema } },
      problems: ['validation_failed'],
      async handle({ query }) {
        const events = await outbox.listRecent({
          limit: query.limit,
          ...(query.type === undefined ? {} : { type: query.type }),
        });
        return { status: 200, body: { items: events.map(toEventView) } };
      },
    }),
  ];
}
