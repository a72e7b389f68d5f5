import { z } from 'zod';

import { defineEventData } from './event-data.ts';
import type { EventType } from './event-types.ts';

/**
 * Tessera's events: CloudEvents 1.0 (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md)
 * in structured JSON mode, one schema per `type`. This module is the single definition:
 * the producer validates against it, the consumer module parses with it, and
 * docs/events.schema.json is generated from it (`npm run events:schema`).
 */

/** `data` schemas as producers check them: no unnamed field gets through. */
const STRICT_DATA = defineEventData(z.strictObject);
/** `data` schemas as consumers read them: fields a newer Tessera adds are dropped, not refused. */
const LOOSE_DATA = defineEventData(z.object);

type DataSchemas = ReturnType<typeof defineEventData>;

// Every type has a data schema and every data schema a type (checked at compile time).
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typesCovered: SameKeys<keyof DataSchemas, EventType> = true;
void typesCovered;

type ReadonlyDeep<T> = T extends readonly (infer U)[]
  ? readonly ReadonlyDeep<U>[]
  : T extends object
    ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> }
    : T;

/** The `data` of an event of type T, as a producer supplies it. */
export type EventData<T extends EventType> = ReadonlyDeep<z.input<DataSchemas[T]>>;

// Envelope attributes shared by every type; their `id`s name them in the JSON Schema's $defs.
const specversion = z.literal('1.0').meta({ id: 'SpecVersion' });
const eventId = z
  .string()
  .min(1)
  .meta({ id: 'EventId', description: 'Unique per event: consumers deduplicate by it' });
const source = z
  .string()
  .min(1)
  .meta({ id: 'Source', description: 'The issuer URL of the Tessera deployment' });
const time = z.iso
  .datetime({ offset: true })
  .meta({ id: 'Time', description: 'RFC 3339 time of the change' });
const subject = z.string().min(1).meta({
  id: 'Subject',
  description: 'What the event is about: a user id, a client id, a resource server id or a kid',
});
const datacontenttype = z.literal('application/json').meta({ id: 'DataContentType' });
const partitionkey = z
  .string()
  .min(1)
  .meta({
    id: 'PartitionKey',
    description:
      'CloudEvents Partitioning extension, and the Kafka message key: the user id, the client id ' +
      "(or another subject); one key's events are published in order",
  });

function envelope<T extends EventType>(type: T, data: DataSchemas[T]) {
  return z
    .object({
      specversion,
      id: eventId,
      source,
      type: z.literal(type),
      time,
      subject,
      datacontenttype,
      partitionkey,
      data,
    })
    .describe(type);
}

function eventSchemaFrom(dataSchemas: DataSchemas) {
  // Spelled out per type so that TypeScript keeps each arm's `data` type.
  return z.discriminatedUnion('type', [
    envelope('tessera.login.succeeded', dataSchemas['tessera.login.succeeded']),
    envelope('tessera.login.failed', dataSchemas['tessera.login.failed']),
    envelope('tessera.session.ended', dataSchemas['tessera.session.ended']),
    envelope('tessera.token.revoked', dataSchemas['tessera.token.revoked']),
    envelope('tessera.grant.revoked', dataSchemas['tessera.grant.revoked']),
    envelope('tessera.account.created', dataSchemas['tessera.account.created']),
    envelope('tessera.account.updated', dataSchemas['tessera.account.updated']),
    envelope('tessera.account.factor_added', dataSchemas['tessera.account.factor_added']),
    envelope('tessera.account.factor_removed', dataSchemas['tessera.account.factor_removed']),
    envelope('tessera.account.factors_reset', dataSchemas['tessera.account.factors_reset']),
    envelope('tessera.client.created', dataSchemas['tessera.client.created']),
    envelope('tessera.client.updated', dataSchemas['tessera.client.updated']),
    envelope('tessera.client.deleted', dataSchemas['tessera.client.deleted']),
    envelope('tessera.client.tokens_revoked', dataSchemas['tessera.client.tokens_revoked']),
    envelope('tessera.client.secret_rotated', dataSchemas['tessera.client.secret_rotated']),
    envelope('tessera.resource_server.created', dataSchemas['tessera.resource_server.created']),
    envelope('tessera.resource_server.updated', dataSchemas['tessera.resource_server.updated']),
    envelope('tessera.resource_server.deleted', dataSchemas['tessera.resource_server.deleted']),
    envelope('tessera.keys.rotated', dataSchemas['tessera.keys.rotated']),
  ]);
}

/** What consumers accept: every Tessera event, ignoring fields they do not know yet. */
export const tesseraEventSchema = eventSchemaFrom(LOOSE_DATA);
/** What Tessera produces: the same, refusing any field the schema does not name. */
export const producedEventSchema = eventSchemaFrom(STRICT_DATA);

/** One Tessera event, as a consumer receives it. */
export type TesseraEvent = z.output<typeof tesseraEventSchema>;
/** The event of one type, e.g. `TesseraEventOf<'tessera.token.revoked'>`. */
export type TesseraEventOf<T extends EventType> = Extract<TesseraEvent, { type: T }>;

/** `content-type` of a structured-mode CloudEvent (CloudEvents Kafka binding, section 3.2). */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/**
 * The JSON Schema (draft 2020-12) of the events, as committed in docs/events.schema.json. It
 * describes what consumers may rely on, so it allows fields beyond those it names.
 */
export function eventJsonSchema(): Record<string, unknown> {
  return {
    title: 'Tessera event (CloudEvents 1.0, structured JSON)',
    ...z.toJSONSchema(tesseraEventSchema, { target: 'draft-2020-12', io: 'input' }),
  };
}
