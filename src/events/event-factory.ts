import { randomUUID } from 'node:crypto';

import type { Logger } from 'pino';

import type { OutboxEvent } from '../ports/outbox.ts';
import { toCloudEvent } from './cloud-event.ts';
import { producedEventSchema, type EventData } from './event-schema.ts';
import type { EventType } from './event-types.ts';

/** One event to record, before the factory stamps its envelope. */
export type NewEvent = {
  [T in EventType]: {
    readonly type: T;
    /** CloudEvents `subject`: the user id, client id or key id the event is about. */
    readonly subject: string;
    /** Kafka message key; defaults to the subject so one subject's events stay ordered. */
    readonly key?: string;
    readonly data: EventData<T>;
  };
}[EventType];

/** Stamps CloudEvents envelopes (id, source, time) onto events; one per composition root. */
export type EventFactory = (event: NewEvent) => OutboxEvent;

/** An event that does not match docs/events.schema.json (a bug in Tessera, never user input). */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

export interface EventFactoryDeps {
  readonly source: string;
  readonly clock: () => number;
  /**
   * What to do with an event that fails the schema. Tests and development throw, so the bug
   * shows at once; production reports it and records the event as it is, because refusing it
   * would fail (or lose the event of) a state change that is otherwise fine.
   */
  readonly onInvalid: (error: InvalidEventError, event: OutboxEvent) => void;
}

export function createEventFactory(deps: EventFactoryDeps): EventFactory {
  return (event) => {
    const stamped: OutboxEvent = {
      id: randomUUID(),
      type: event.type,
      source: deps.source,
      subject: event.subject,
      time: new Date(deps.clock()).toISOString(),
      data: event.data,
      key: event.key ?? event.subject,
    };
    const checked = producedEventSchema.safeParse(toCloudEvent(stamped));
    if (!checked.success) {
      const problems = checked.error.issues
        .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
        .join('; ');
      deps.onInvalid(new InvalidEventError(`${event.type} event: ${problems}`), stamped);
    }
    return stamped;
  };
}

/** onInvalid for tests and development: fail fast. */
export const throwInvalidEvent = (error: InvalidEventError): never => {
  throw error;
};

/**
 * The factory a Tessera process uses. A schema mismatch is a bug: development and tests stop at
 * it; production logs it and records the event as it is, never turning it into a failed request
 * or a lost event (docs/events.md "Format").
 */
export function createEventFactoryFor(options: {
  readonly production: boolean;
  readonly source: string;
  readonly clock: () => number;
  readonly logger: Logger;
}): EventFactory {
  return createEventFactory({
    source: options.source,
    clock: options.clock,
    onInvalid: options.production
      ? (error, event) =>
          options.logger.error(
            { err: error, eventId: event.id },
            'event recorded despite its schema',
          )
      : throwInvalidEvent,
  });
}
